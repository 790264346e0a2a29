package smpp

import (
	"context"
	"errors"
)

// Sentinel errors. Test them with errors.Is; the errors returned by this
// package wrap them with the operation and, where known, the cause.
var (
	// ErrClosed: the session (or client) is closed, or closed while the
	// request was outstanding. When the request had not been written yet
	// the error is ErrClosed alone and sending it again elsewhere is safe;
	// when it had been written the error also matches ErrUnknownOutcome.
	ErrClosed = errors.New("smpp: session closed")

	// ErrNotBound: the session is not bound in a state that allows the
	// request (before Bind, while unbinding, or a submit on a receiver
	// bind). The request was not sent; sending it on another bind is safe.
	ErrNotBound = errors.New("smpp: not bound")

	// ErrUnknownOutcome: the request was written but no response was
	// received (connection lost, response timeout, or the caller's ctx
	// ended first). The SMSC may or may not have accepted it: do not
	// resend a submit_sm blindly, it could deliver the message twice.
	ErrUnknownOutcome = errors.New("smpp: outcome unknown")

	// ErrTimeout: no response arrived within the response timeout. It also
	// matches context.DeadlineExceeded, and errors wrapping it match
	// ErrUnknownOutcome.
	ErrTimeout error = timeoutError{}

	// ErrLinkDead: the session was closed because the peer stopped
	// answering (enquire_link unanswered, or too many consecutive response
	// timeouts). It is the cause reported by Session.Err.
	ErrLinkDead = errors.New("smpp: link dead")

	// ErrPeerUnbind: the session was closed because the peer sent unbind.
	// It is the cause reported by Session.Err.
	ErrPeerUnbind = errors.New("smpp: unbound by peer")

	// ErrProtocol: the peer broke framing (an invalid command_length); the
	// session answered generic_nack and closed. It is the cause reported
	// by Session.Err.
	ErrProtocol = errors.New("smpp: protocol error")

	// ErrSuspended: the client is suspended (Client.Suspend) and sends
	// nothing until Client.Resume. The request was not sent; sending it on
	// another bind is safe.
	ErrSuspended = errors.New("smpp: bind suspended")
)

// timeoutError is the type of ErrTimeout.
type timeoutError struct{}

func (timeoutError) Error() string { return "smpp: response timeout" }

// Timeout reports true, as net.Error does for timeouts.
func (timeoutError) Timeout() bool { return true }

// Is lets ErrTimeout match context.DeadlineExceeded.
func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
