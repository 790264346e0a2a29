package keywords

import (
	"fmt"
	"strings"

	"github.com/smsgw/smsgw/domain"
)

// Bounds of the national significant number of an Indonesian mobile MSISDN:
// the digits after the country code 62 (or after the trunk prefix 0).
const (
	minNationalLen = 9
	maxNationalLen = 12
)

// NormalizeMSISDN validates an Indonesian mobile number and returns it in
// canonical international form without a plus: "628110000002".
//
// Accepted forms, with leading and trailing white space ignored:
//
//	08110000002  628110000002  +628110000002  +62 811-0000-002  0811.0000.002
//
// The number is an optional '+', then digits where runs of spaces, dashes
// and dots may separate digit groups (not start or end the number). It must
// start with 0 (trunk prefix) or 62 (a '+' must be followed by 62); the
// national number after it must start with 8 and have 9 to 12 digits.
// Short codes such as "9779", fixed-line numbers and foreign numbers are
// rejected.
//
// The error is an *Error of kind BadAccount whose Err is one of
// ErrEmptyValue, ErrMSISDNSyntax, ErrMSISDNPrefix or ErrMSISDNLength. Account
// IDs of this product are MSISDNs and are parsed by this function too.
func NormalizeMSISDN(s string) (domain.MSISDN, error) {
	canon, err := normalizeMSISDN(s)
	if err != nil {
		return "", &Error{Kind: BadAccount, Arg: ArgAccount, Err: err}
	}
	return domain.MSISDN(canon), nil
}

// normalizeMSISDN is NormalizeMSISDN returning the bare reason.
func normalizeMSISDN(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmptyValue
	}
	plus := s[0] == '+'
	if plus {
		s = s[1:]
	}
	// Country code + longest national number, plus one to detect excess.
	var buf [2 + maxNationalLen + 1]byte
	n := 0
	sep := true // a separator may not come first
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			if n == len(buf) {
				return "", ErrMSISDNLength
			}
			buf[n] = c
			n++
			sep = false
		case c == ' ' || c == '-' || c == '.':
			if n == 0 {
				return "", ErrMSISDNSyntax
			}
			sep = true
		default:
			return "", ErrMSISDNSyntax
		}
	}
	if n == 0 || sep {
		return "", ErrMSISDNSyntax
	}
	d := buf[:n]
	var national []byte
	switch {
	case len(d) >= 2 && d[0] == '6' && d[1] == '2':
		national = d[2:]
	case !plus && d[0] == '0':
		national = d[1:]
	default:
		return "", ErrMSISDNPrefix
	}
	if len(national) == 0 || national[0] != '8' {
		return "", ErrMSISDNPrefix
	}
	if len(national) < minNationalLen || len(national) > maxNationalLen {
		return "", ErrMSISDNLength
	}
	return "62" + string(national), nil
}

// CanonicalPrefix returns a number prefix in the canonical form of an
// MSISDN (NormalizeMSISDN): digits, international, without plus ("0811"
// and "+62811" are "62811"). A whole number is a prefix too.
func CanonicalPrefix(p string) (string, error) {
	s := strings.TrimPrefix(p, "+")
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return "", fmt.Errorf("prefix %q: want digits, e.g. 0811 or 62811", p)
	}
	if strings.HasPrefix(s, "0") {
		if strings.HasPrefix(p, "+") {
			return "", fmt.Errorf("prefix %q: want digits, e.g. 0811 or 62811", p)
		}
		s = "62" + s[1:]
	}
	if len(s) < 3 {
		return "", fmt.Errorf("prefix %q: too short", p)
	}
	return s, nil
}
