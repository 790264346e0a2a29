package smsgw

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
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
	f.Add(secret{kind: secretPIN, check: make([]byte, 32), saltFP: make([]byte, saltFPLen)}.marshal())
	f.Add(secret{kind: secretChangePIN, check: make([]byte, 32), saltFP: make([]byte, saltFPLen), newSalt: make([]byte, 16), newHash: make([]byte, 32)}.marshal())
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

// The content de-duplication key of an MO is keyed with the PIN key: for a
// PIN reply, a plain hash over known sender and short code would give the
// PIN away to anyone holding the database.
func TestDedupKeyIsKeyed(t *testing.T) {
	type noStore struct{ Store }
	type noSender struct{ Sender }
	gateway := func(key byte) *Gateway {
		h, err := NewPINHasher(bytes.Repeat([]byte{key}, 32))
		if err != nil {
			t.Fatal(err)
		}
		table, err := keywords.NewTable(keywords.TableConfig{})
		if err != nil {
			t.Fatal(err)
		}
		replies, err := NewReplies(nil)
		if err != nil {
			t.Fatal(err)
		}
		g, err := New(Options{Store: noStore{}, Sender: noSender{}, Hasher: h,
			Rules: Rules{RequestCode: "9779", PINCode: "3355", Keywords: table, Replies: replies}})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	mo := MO{From: "08110000002", To: "3355", Channel: "sms", Text: "654321", Track: func(func(bool)) {}}
	from := domain.MSISDN("628110000002")
	g1, g2 := gateway(1), gateway(2)
	k1 := g1.dedupKey(mo, from)
	if k1 != g1.dedupKey(mo, from) {
		t.Fatal("dedupKey is not deterministic")
	}
	if k1 == g2.dedupKey(mo, from) {
		t.Error("two PIN keys give the same de-duplication key")
	}
	plain := sha256.New()
	for _, s := range []string{string(from), mo.To, mo.Channel, mo.USSDSession, mo.Text} {
		plain.Write([]byte(s))
		plain.Write([]byte{0})
	}
	if k1 == "text:"+hex.EncodeToString(plain.Sum(nil)[:16]) {
		t.Error("the de-duplication key is an unkeyed hash of the text")
	}
	mo.Text = "654322"
	if g1.dedupKey(mo, from) == k1 {
		t.Error("different texts share a key")
	}
}
