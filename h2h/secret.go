package h2h

import (
	"fmt"
	"log/slog"
)

const redacted = "[REDACTED]"

// Secret is a credential (HMAC key, OtomaX PIN or password, Basic
// password). It redacts itself in every format and log; Reveal returns the
// value.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String redacts the secret.
func (s Secret) String() string { return redacted }

// GoString redacts the secret.
func (s Secret) GoString() string { return `h2h.Secret("` + redacted + `")` }

// Format redacts the secret for every verb.
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }

// LogValue redacts the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText redacts the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
