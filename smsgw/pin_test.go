package smsgw

import (
	"bytes"
	"testing"
)

func TestSecretRoundTrip(t *testing.T) {
	h, err := NewPINHasher(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("0123456789abcdef")
	pin := secret{kind: secretPIN, check: h.Hash(salt, "123456")}
	change := secret{kind: secretChangePIN, check: h.Hash(salt, "123456"), newSalt: salt, newHash: h.Hash(salt, "654321")}
	for _, s := range []secret{pin, change} {
		got, err := parseSecret(s.marshal())
		if err != nil {
			t.Fatalf("parseSecret(marshal(%d)) = %v", s.kind, err)
		}
		if got.kind != s.kind || !bytes.Equal(got.check, s.check) || !bytes.Equal(got.newSalt, s.newSalt) || !bytes.Equal(got.newHash, s.newHash) {
			t.Errorf("round trip of kind %d changed the secret", s.kind)
		}
	}
	if Equal(h.Hash(salt, "123456"), h.Hash(salt, "123457")) {
		t.Error("different PINs hash equal")
	}
	other, _ := NewPINHasher(bytes.Repeat([]byte{2}, 32))
	if Equal(h.Hash(salt, "123456"), other.Hash(salt, "123456")) {
		t.Error("the hash does not depend on the key")
	}
	if Equal(nil, nil) {
		t.Error("Equal(nil, nil) = true: an empty verifier must never match")
	}
	if _, err := NewPINHasher(make([]byte, 31)); err == nil {
		t.Error("NewPINHasher accepted a 31-octet key")
	}
}

// FuzzParseSecret: no panic on stored bytes, and what parses re-marshals
// to the same bytes.
func FuzzParseSecret(f *testing.F) {
	f.Add(secret{kind: secretPIN, check: make([]byte, 32)}.marshal())
	f.Add(secret{kind: secretChangePIN, check: make([]byte, 32), newSalt: make([]byte, 16), newHash: make([]byte, 32)}.marshal())
	f.Add([]byte{})
	f.Add([]byte{2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSecret(b)
		if err != nil {
			return
		}
		if got := s.marshal(); !bytes.Equal(got, b) {
			t.Fatalf("marshal(parseSecret(%x)) = %x", b, got)
		}
	})
}
