package smsgw

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MinPINKeyLen is the minimum length of the deployment PIN key in octets.
const MinPINKeyLen = 32

// PINHasher derives keyed PIN hashes: HMAC-SHA256(key, salt || PIN). A 6-digit
// PIN has only 10^6 values, so a slow unkeyed hash would not protect a leaked
// database; the per-deployment key (kept outside the database) does, and
// lockout is the online protection. PINHasher is safe for concurrent use.
type PINHasher struct {
	key []byte
}

// NewPINHasher returns a hasher for key, which must hold at least
// MinPINKeyLen octets.
func NewPINHasher(key []byte) (*PINHasher, error) {
	if len(key) < MinPINKeyLen {
		return nil, fmt.Errorf("pin key: %d octets, need at least %d", len(key), MinPINKeyLen)
	}
	return &PINHasher{key: append([]byte(nil), key...)}, nil
}

// NewSalt returns a fresh random 16-octet salt.
func NewSalt() ([]byte, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("pin salt: %w", err)
	}
	return salt, nil
}

// Hash returns HMAC-SHA256(key, salt || pin).
func (h *PINHasher) Hash(salt []byte, pin PIN) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write(salt)
	m.Write([]byte(pin.Reveal()))
	return m.Sum(nil)
}

// subkey derives an independent key for another use of the PIN key
// (label names the use), so that nothing keyed by it can be recomputed from
// the database alone.
func (h *PINHasher) subkey(label string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Set gives c a new salt and the hash of pin.
func (h *PINHasher) Set(c *Customer, pin PIN) error {
	salt, err := NewSalt()
	if err != nil {
		return err
	}
	c.PINSalt = salt
	c.PINHash = h.Hash(salt, pin)
	return nil
}

// Equal compares two verifiers in constant time.
func Equal(a, b []byte) bool { return len(a) > 0 && hmac.Equal(a, b) }

// secret is what an inbound message carries instead of its PIN digits: PIN
// verifiers computed with the sender's salt when the message was stored.
// Layout: one kind octet, then 32-octet verifiers.
type secret struct {
	kind    byte   // secretPIN or secretChangePIN
	check   []byte // HMAC of the (old) PIN with the customer's current salt
	newSalt []byte // change PIN only: the new salt
	newHash []byte // change PIN only: HMAC of the new PIN with newSalt
}

const (
	secretPIN       byte = 1
	secretChangePIN byte = 2
)

func (s secret) marshal() []byte {
	b := []byte{s.kind}
	b = append(b, s.check...)
	if s.kind == secretChangePIN {
		b = append(b, byte(len(s.newSalt)))
		b = append(b, s.newSalt...)
		b = append(b, s.newHash...)
	}
	return b
}

var errBadSecret = errors.New("malformed message secret")

func parseSecret(b []byte) (secret, error) {
	if len(b) < 1+sha256.Size {
		return secret{}, errBadSecret
	}
	s := secret{kind: b[0], check: b[1 : 1+sha256.Size]}
	rest := b[1+sha256.Size:]
	switch s.kind {
	case secretPIN:
		if len(rest) != 0 {
			return secret{}, errBadSecret
		}
	case secretChangePIN:
		if len(rest) < 1 || len(rest) != 1+int(rest[0])+sha256.Size {
			return secret{}, errBadSecret
		}
		s.newSalt = rest[1 : 1+int(rest[0])]
		s.newHash = rest[1+int(rest[0]):]
	default:
		return secret{}, errBadSecret
	}
	return s, nil
}
