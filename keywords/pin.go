package keywords

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// PIN length bounds. A Table defaults to DefaultPINLength digits exactly;
// its configuration may choose other bounds within MinPINLength and
// MaxPINLength.
const (
	DefaultPINLength = 6
	MinPINLength     = 4
	MaxPINLength     = 12
)

// redacted replaces a PIN in every textual form.
const redacted = "****"

// PIN is a secret personal identification number of ASCII digits.
//
// Every way of turning a PIN into text hides it: String, GoString, all fmt
// verbs (%v %+v %#v %s %q %x %d ...), slog (LogValue), encoding.TextMarshaler
// and json.Marshaler all give "****". This also holds for a PIN inside a
// struct printed with fmt, logged with slog or marshalled to JSON, as long
// as the field is exported (fmt cannot call methods on unexported fields).
// Reveal is the only way to read the digits.
type PIN string

// Reveal returns the digits of the PIN. Call it only where the digits are
// needed (hashing, comparing) and never pass its result to a log or an
// error.
func (p PIN) Reveal() string { return string(p) }

// String returns "****".
func (p PIN) String() string { return redacted }

// GoString returns `keywords.PIN("****")`.
func (p PIN) GoString() string { return `keywords.PIN("` + redacted + `")` }

// Format implements fmt.Formatter so that every verb, flag and width prints
// the redacted form: "****", `"****"` for %q and the GoString for %#v.
func (p PIN) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'q':
		_, _ = io.WriteString(f, `"`+redacted+`"`)
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, p.GoString())
	default:
		_, _ = io.WriteString(f, redacted)
	}
}

// LogValue implements slog.LogValuer: a logged PIN is "****".
func (p PIN) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler with the redacted form.
func (p PIN) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalJSON implements json.Marshaler with the redacted form, "****".
func (p PIN) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

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
func ParsePIN(s string, minLen, maxLen int) (PIN, error) {
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
func checkPIN(s string, minLen, maxLen int) (PIN, error) {
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
	return PIN(s), nil
}
