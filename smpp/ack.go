package smpp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// An SMSC delivers a deliver_sm again only when it did not receive our
// deliver_sm_resp. Over TCP, once the SMSC has answered a request we wrote
// after that response on the same connection, it has read the response:
// the message can no longer come back. Until then its fate is open, and if
// the connection dies first the SMSC may or may not deliver it again.
//
// OnAck lets a Handler learn that fate for the PDU it is handling, so a
// gateway can tell an SMSC redelivery (possible only for a message whose
// acknowledgement was never confirmed) from a customer sending the same
// text again (anything else).

// OnAck registers fn to be told the fate of the response the session
// writes for the deliver_sm or data_sm whose Handler call ctx belongs to.
// fn is called exactly once and must not block:
//
//   - fn(true) when the SMSC has provably read an ESME_ROK response: it
//     answered a request the session wrote after it (a generic_nack does
//     not count: its sequence number may be one of the SMSC's own);
//   - fn(false) when that can no longer be known or did not happen: the
//     connection closed first, the response was not ESME_ROK, or it was
//     never written.
//
// OnAck must be called before Handle returns; a later call, or one with a
// ctx that is not a Handler's, calls fn(false) at once and returns false.
// A second call in the same Handle replaces nothing: both functions are
// told.
func OnAck(ctx context.Context, fn func(confirmed bool)) bool {
	h, ok := ctx.Value(inboundKey{}).(*inboundCtx)
	if !ok || !h.register(fn) {
		fn(false)
		return false
	}
	return true
}

// AfterResponse registers fn to run once the response to the deliver_sm
// or data_sm whose Handler call ctx belongs to has been queued for writing,
// or could not be: a request the session queues after that is written after
// the response. A gateway that answers an MO by SMS waits for it, so that
// the SMSC reads the acknowledgement before the reply. fn must not block.
// Like OnAck it must be called before Handle returns; otherwise, and with a
// ctx that is not a Handler's, fn runs at once and AfterResponse returns
// false.
func AfterResponse(ctx context.Context, fn func()) bool {
	h, ok := ctx.Value(inboundKey{}).(*inboundCtx)
	if !ok || !h.registerAfter(fn) {
		fn()
		return false
	}
	return true
}

type inboundKey struct{}

// inboundCtx is the Context of one Handler call: the session's handler
// context plus the acknowledgement callbacks registered with OnAck.
type inboundCtx struct {
	context.Context
	mu    sync.Mutex
	fns   []func(bool)
	after []func() // AfterResponse
	done  bool     // Handle returned: no more registrations
}

func (c *inboundCtx) Value(key any) any {
	if key == (inboundKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func (c *inboundCtx) register(fn func(bool)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return false
	}
	c.fns = append(c.fns, fn)
	return true
}

func (c *inboundCtx) registerAfter(fn func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return false
	}
	c.after = append(c.after, fn)
	return true
}

// finish closes registration and returns the callbacks registered with
// OnAck and with AfterResponse.
func (c *inboundCtx) finish() ([]func(bool), []func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	return c.fns, c.after
}

// ackTracker holds the responses whose reading by the SMSC is not yet
// confirmed, by their end offset in the writer's queue.
type ackTracker struct {
	mu        sync.Mutex
	confirmed uint64 // the SMSC has read every octet before this offset
	closed    bool
	waiting   []ackWait
	probing   bool // a confirmation probe is scheduled or running
}

type ackWait struct {
	end uint64
	fn  func(bool)
}

// add registers fns for a response that ends at queue offset end. It
// reports whether the caller should schedule a probe.
func (t *ackTracker) add(end uint64, fns []func(bool)) (probe bool) {
	t.mu.Lock()
	switch {
	case t.closed:
		t.mu.Unlock()
		tell(fns, false)
		return false
	case end <= t.confirmed:
		t.mu.Unlock()
		tell(fns, true)
		return false
	}
	for _, fn := range fns {
		t.waiting = append(t.waiting, ackWait{end: end, fn: fn})
	}
	probe = !t.probing
	t.probing = true
	t.mu.Unlock()
	return probe
}

// confirm records that the SMSC has read everything before offset off and
// tells the responses that ended there.
func (t *ackTracker) confirm(off uint64) {
	t.mu.Lock()
	if off <= t.confirmed {
		t.mu.Unlock()
		return
	}
	t.confirmed = off
	var ready []func(bool)
	kept := t.waiting[:0]
	for _, w := range t.waiting {
		if w.end <= off {
			ready = append(ready, w.fn)
		} else {
			kept = append(kept, w)
		}
	}
	clear(t.waiting[len(kept):])
	t.waiting = kept
	t.mu.Unlock()
	tell(ready, true)
}

// close tells every waiting response that its fate is unknown.
func (t *ackTracker) close() {
	t.mu.Lock()
	t.closed = true
	w := t.waiting
	t.waiting = nil
	t.mu.Unlock()
	for _, x := range w {
		x.fn(false)
	}
}

// rearm reports whether responses still wait after a probe, keeping the
// probe scheduled if so.
func (t *ackTracker) rearm() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.probing = !t.closed && len(t.waiting) > 0
	return t.probing
}

func tell(fns []func(bool), confirmed bool) {
	for _, fn := range fns {
		fn(confirmed)
	}
}

// acked is called after the response to an inbound PDU was queued at end
// (ok false: it was not queued, or is no ESME_ROK).
func (s *Session) acked(fns []func(bool), end uint64, ok bool) {
	if len(fns) == 0 {
		return
	}
	if !ok {
		tell(fns, false)
		return
	}
	if s.acks.add(end, fns) && s.opts.AckProbeDelay > 0 {
		time.AfterFunc(s.opts.AckProbeDelay, s.probeAcks)
	}
}

// probeAcks sends an enquire_link so that responses waiting for
// confirmation get it even when the session has nothing else to send;
// its answer confirms them (handleResponse). It rearms itself while
// responses written after it still wait.
func (s *Session) probeAcks() {
	if !s.acks.rearm() {
		return // confirmed meanwhile by other responses
	}
	_, err := s.roundTrip(context.Background(), &pdu.EnquireLink{Header: pdu.Header{ID: pdu.EnquireLinkID}}, reqOpts{
		timeout: s.opts.EnquireLinkTimeout,
		allow: func(st SessionState) error {
			if st == StateClosed {
				return ErrClosed
			}
			return nil
		},
	})
	if errors.Is(err, ErrTimeout) {
		// As for the keepalive: a link that answers nothing is dead, and
		// the fates waiting on it are lost.
		s.log.Error("smpp: link dead: acknowledgement probe unanswered, closing", logKeyTimeout, s.opts.EnquireLinkTimeout.String())
		s.fail(fmt.Errorf("%w: no enquire_link_resp within %v", ErrLinkDead, s.opts.EnquireLinkTimeout))
		return
	}
	if s.acks.rearm() {
		time.AfterFunc(s.opts.AckProbeDelay, s.probeAcks)
	}
}
