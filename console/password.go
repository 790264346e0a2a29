package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters of HashPassword (the OWASP minimum for argon2id:
// 19 MiB, two passes, one lane).
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Bounds on the parameters of a configured argon2id hash, so that a typo in
// the config cannot make every login allocate gigabytes.
const (
	maxArgonMemory  = 256 * 1024 // KiB
	maxArgonTime    = 16
	maxArgonThreads = 16
)

// MinPasswordLen is the shortest password HashPassword accepts.
const MinPasswordLen = 8

// ErrBadHash reports a password hash in an unknown or malformed format.
var ErrBadHash = errors.New("console: password hash must be argon2id ($argon2id$v=19$m=...,t=...,p=...$salt$hash) or bcrypt ($2a$/$2b$/$2y$)")

// HashPassword returns an argon2id hash of password in the PHC string
// format, ready for the password_hash key of a console user.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen {
		return "", fmt.Errorf("console: password must have at least %d characters", MinPasswordLen)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("console: password salt: %w", err)
	}
	return formatArgon2id(argonParams{memory: argonMemory, time: argonTime, threads: argonThreads}, salt,
		argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)), nil
}

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
}

func formatArgon2id(p argonParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// passwordHash is a parsed stored hash.
type passwordHash struct {
	bcrypt []byte // set for bcrypt hashes
	argon  argonParams
	salt   []byte
	key    []byte
}

// CheckHash reports whether hash is a password hash the console accepts.
func CheckHash(hash string) error {
	_, err := parseHash(hash)
	return err
}

func parseHash(hash string) (*passwordHash, error) {
	switch {
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadHash, err)
		}
		return &passwordHash{bcrypt: []byte(hash)}, nil
	case strings.HasPrefix(hash, "$argon2id$"):
		return parseArgon2id(hash)
	}
	return nil, ErrBadHash
}

func parseArgon2id(hash string) (*passwordHash, error) {
	f := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(f) != 6 || f[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, ErrBadHash
	}
	var p argonParams
	for kv := range strings.SplitSeq(f[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, ErrBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, ErrBadHash
		}
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return nil, ErrBadHash
			}
			p.threads = uint8(n)
		default:
			return nil, ErrBadHash
		}
	}
	if p.time < 1 || p.time > maxArgonTime || p.threads < 1 || p.threads > maxArgonThreads ||
		p.memory < 8*uint32(p.threads) || p.memory > maxArgonMemory {
		return nil, fmt.Errorf("%w: argon2id parameters out of range (m <= %d KiB, t <= %d, p <= %d)",
			ErrBadHash, maxArgonMemory, maxArgonTime, maxArgonThreads)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(f[4])
	if err != nil || len(salt) < 8 {
		return nil, ErrBadHash
	}
	key, err := b64.DecodeString(f[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return nil, ErrBadHash
	}
	return &passwordHash{argon: p, salt: salt, key: key}, nil
}

// verify reports whether password matches h, in time independent of where
// they differ.
func (h *passwordHash) verify(password string) bool {
	if h.bcrypt != nil {
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(password)) == nil
	}
	got := argon2.IDKey([]byte(password), h.salt, h.argon.time, h.argon.memory, h.argon.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}
