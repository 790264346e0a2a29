package smsgw

import (
	"errors"
	"fmt"
)

// Error codes for outcomes a customer, an API client or an operator sees.
// Domains built on the Gateway add their own codes. Any other error is
// internal.
const (
	EInvalid     = "invalid"     // bad input
	ENotFound    = "not_found"   // customer, account, session or message unknown
	EConflict    = "conflict"    // idempotency key reused with another request, or state already resolved
	EWrongPIN    = "wrong_pin"   // PIN did not match
	ELocked      = "locked"      // customer locked after too many wrong PINs
	EExpired     = "expired"     // session past its TTL
	EFunds       = "funds"       // a balance would go negative
	EInternal    = "internal"    // everything else
	EDuplicate   = "duplicate"   // redelivered inbound message, already stored
	EBusy        = "busy"        // an open session already waits for this MSISDN
	EUnsupported = "unsupported" // operation not offered here
)

// ErrTxConflict marks a store error that says the transaction conflicted
// with a concurrent one (another daemon's, on a shared store) and was
// aborted: the store runs the whole transaction again, so code inside an
// Update must return it, never handle it.
var ErrTxConflict = errors.New("transaction conflicts with a concurrent one")

// Error is a domain error with a code from the E* constants and a message
// that is safe to show to the customer's operator (never a PIN).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("smsgw: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil
// and EInternal for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}
