package smsgw

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/smsgw/smsgw/domain"
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
func (h *PINHasher) Hash(salt []byte, pin domain.PIN) []byte {
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
func (h *PINHasher) Set(c *Customer, pin domain.PIN) error {
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
// verifiers computed with the sender's salt when the message was stored,
// and a fingerprint of that salt, so that processing can tell a wrong PIN
// from a PIN changed (new salt) between storing and processing.
// Layout: one kind octet, a 32-octet verifier, the 8-octet salt
// fingerprint (kinds 3 and 4; kinds 1 and 2 are the older form without
// it), then for a PIN change the new salt's length, the new salt and its
// 32-octet verifier.
type secret struct {
	kind    byte   // secretPIN or secretChangePIN
	check   []byte // HMAC of the (old) PIN with the customer's current salt
	saltFP  []byte // fingerprint of that salt (nil in the older form)
	newSalt []byte // change PIN only: the new salt
	newHash []byte // change PIN only: HMAC of the new PIN with newSalt
}

const (
	secretPIN       byte = 1
	secretChangePIN byte = 2
	withSaltFP      byte = 2 // added to the kind octet when saltFP is present
	saltFPLen            = 8
)

// saltFingerprint identifies a salt without revealing anything secret (a
// salt is not secret).
func saltFingerprint(salt []byte) []byte {
	h := sha256.Sum256(salt)
	return h[:saltFPLen]
}

// saltChanged reports whether the customer's salt is no longer the one s
// was computed with (a PIN change or reset in between).
func (s secret) saltChanged(current []byte) bool {
	return s.saltFP != nil && !bytes.Equal(s.saltFP, saltFingerprint(current))
}

func (s secret) marshal() []byte {
	kind := s.kind
	if s.saltFP != nil {
		kind += withSaltFP
	}
	b := []byte{kind}
	b = append(b, s.check...)
	b = append(b, s.saltFP...)
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
	if s.kind == secretPIN+withSaltFP || s.kind == secretChangePIN+withSaltFP {
		if len(rest) < saltFPLen {
			return secret{}, errBadSecret
		}
		s.kind -= withSaltFP
		s.saltFP, rest = rest[:saltFPLen], rest[saltFPLen:]
	}
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
