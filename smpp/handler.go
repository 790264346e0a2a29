package smpp

import (
	"context"
	"errors"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// Handler handles the messages the SMSC sends: deliver_sm (mobile
// originated messages and delivery receipts) and data_sm.
//
// Handle is called from the session's bounded worker pool, never from the
// reader, and may run concurrently with itself for different PDUs. The
// response is written only after Handle returns, so a message is
// acknowledged only once the handler has dealt with it (persisted it). Its
// error becomes the response command_status:
//
//   - nil: ESME_ROK;
//   - an error wrapping a pdu.Status (errors.As): that status, e.g.
//     pdu.StatusXPAppn to reject a message permanently;
//   - any other error, and a panic: ESME_RX_T_APPN, a temporary error, so
//     that the SMSC delivers the message again later.
//
// ctx is cancelled when the session closes; the response of a handler that
// returns after that is never written, and the SMSC redelivers the message.
// Handle must not call Close or Unbind of its own session (they wait for
// the handlers to return).
type Handler interface {
	Handle(ctx context.Context, p pdu.PDU) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, p pdu.PDU) error

// Handle calls f(ctx, p).
func (f HandlerFunc) Handle(ctx context.Context, p pdu.PDU) error { return f(ctx, p) }

var _ Handler = HandlerFunc(nil)

// statusOf maps a Handler error to the command_status of the response.
func statusOf(err error) pdu.Status {
	if err == nil {
		return pdu.StatusOK
	}
	var st pdu.Status
	if errors.As(err, &st) {
		return st
	}
	return pdu.StatusXTAppn
}

// Metrics receives counters and timings from sessions and clients. All
// methods must be safe for concurrent use and must not block. A nil Metrics
// in the options means none.
type Metrics interface {
	// PDUIn is called for every PDU received and decoded.
	PDUIn(id pdu.CommandID)
	// PDUOut is called for every PDU queued for writing.
	PDUOut(id pdu.CommandID)
	// Window reports the number of window slots in use after a change.
	Window(inUse int)
	// RoundTrip reports the time from queueing a request to its response.
	RoundTrip(id pdu.CommandID, d time.Duration)
	// Reconnect is called by Client each time it schedules a new dial
	// after a failed or lost connection.
	Reconnect()
	// Bound is called with true when a session becomes bound and with
	// false when a bound session ends.
	Bound(up bool)
}

// nopMetrics is the Metrics used when none is configured.
type nopMetrics struct{}

func (nopMetrics) PDUIn(pdu.CommandID)                    {}
func (nopMetrics) PDUOut(pdu.CommandID)                   {}
func (nopMetrics) Window(int)                             {}
func (nopMetrics) RoundTrip(pdu.CommandID, time.Duration) {}
func (nopMetrics) Reconnect()                             {}
func (nopMetrics) Bound(bool)                             {}

var _ Metrics = nopMetrics{}
