package domain

import (
	"fmt"
	"io"
	"log/slog"
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

// GoString returns `domain.PIN("****")`.
func (p PIN) GoString() string { return `domain.PIN("` + redacted + `")` }

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
