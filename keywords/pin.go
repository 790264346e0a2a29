package keywords

import (
	"errors"

	"github.com/smsgw/smsgw/domain"
)

// PIN length bounds. A Table defaults to DefaultPINLength digits exactly;
// its configuration may choose other bounds within MinPINLength and
// MaxPINLength.
const (
	DefaultPINLength = 6
	MinPINLength     = 4
	MaxPINLength     = 12
)

// errPINBounds reports invalid length bounds passed to ParsePIN.
var errPINBounds = errors.New("invalid PIN length bounds")

// ParsePIN parses a PIN sent as a message of its own: " 123456 ", or
// "PIN 123456" with the keyword PIN in any case followed by a separator, as
// in Table.Parse. Surrounding white space and field separators are ignored.
// The PIN must be ASCII digits only, with minLen to maxLen digits; the
// bounds must satisfy MinPINLength <= minLen <= maxLen <= MaxPINLength.
//
// The error is an *Error of kind BadPIN whose Err is ErrEmptyValue,
// ErrPINSyntax or ErrPINLength; it never contains the text of s.
func ParsePIN(s string, minLen, maxLen int) (domain.PIN, error) {
	if minLen < MinPINLength || maxLen < minLen || maxLen > MaxPINLength {
		return "", &Error{Kind: BadPIN, Arg: ArgPIN, Err: errPINBounds}
	}
	t := trimSeps(s)
	if hasPrefixFold(t, "pin") && (len(t) == 3 || sepWidth(t, 3) > 0) {
		t = t[skipSeps(t, 3):]
	}
	p, err := checkPIN(t, minLen, maxLen)
	if err != nil {
		return "", &Error{Kind: BadPIN, Arg: ArgPIN, Err: err}
	}
	return p, nil
}

// checkPIN validates one PIN field and returns the bare reason on error.
func checkPIN(s string, minLen, maxLen int) (domain.PIN, error) {
	if s == "" {
		return "", ErrEmptyValue
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return "", ErrPINSyntax
		}
	}
	if len(s) < minLen || len(s) > maxLen {
		return "", ErrPINLength
	}
	return domain.PIN(s), nil
}
