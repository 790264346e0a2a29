package smpp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
)

// txBind is a bound transmitter session and its throttling state: after
// ESME_RTHROTTLED or ESME_RMSGQFUL every submit on the bind pauses, and
// throttled submits are sent again before new ones.
type txBind struct {
	c    *Client
	sess *Session

	mu sync.Mutex
	// gen counts pauses. A submit remembers the gen it was sent in; only
	// a throttle answer to a submit sent in the current gen starts a new,
	// longer pause, so a window full of throttled answers pauses once.
	gen     uint64
	delay   time.Duration // current pause length, 0 after an OK
	until   time.Time     // submits wait until then
	retries int           // throttled submits not yet resolved
	changed chan struct{} // closed and replaced when retries drops to 0
}

// wait blocks until a submit may be sent on b and returns the pause
// generation to send it in. New submits (retry false) also wait while
// throttled ones are pending, which keeps order as far as concurrent
// callers allow. It returns early when the session ends (the submit then
// fails as not sent and moves to the next bind).
func (b *txBind) wait(ctx context.Context, retry bool) (uint64, error) {
	for {
		b.mu.Lock()
		if d := time.Until(b.until); d > 0 {
			b.mu.Unlock()
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return 0, ctx.Err()
			case <-b.sess.Done():
				t.Stop()
				return 0, nil
			}
			continue
		}
		if !retry && b.retries > 0 {
			ch := b.changed
			b.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-b.sess.Done():
				return 0, nil
			}
			continue
		}
		gen := b.gen
		b.mu.Unlock()
		return gen, nil
	}
}

// throttled records a throttle answer to a submit sent in gen.
func (b *txBind) throttled(gen uint64, st pdu.Status) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen {
		return // the pause this answer calls for is already on
	}
	b.gen++
	if b.delay == 0 {
		b.delay = b.c.opts.ThrottleBase
	} else {
		b.delay = min(2*b.delay, b.c.opts.ThrottleCap)
	}
	b.until = time.Now().Add(b.delay)
	b.c.log.Warn("smpp: throttled by the SMSC, pausing submits",
		logKeyStatus, st.Name(), logKeyDelay, b.delay.String())
}

// accepted records an OK answer to a submit sent in gen.
func (b *txBind) accepted(gen uint64) {
	b.mu.Lock()
	if gen == b.gen {
		b.delay = 0
	}
	b.mu.Unlock()
}

func (b *txBind) addRetry() {
	b.mu.Lock()
	b.retries++
	b.mu.Unlock()
}

func (b *txBind) retryDone() {
	b.mu.Lock()
	b.retries--
	if b.retries == 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	b.mu.Unlock()
}

// Submit sends sm through the current transmitter session and returns its
// submit_sm_resp. It waits (honouring ctx) for a bind, for the rate limit
// and for a free window slot.
//
// ESME_RTHROTTLED and ESME_RMSGQFUL pause all submits on the bind and sm
// is sent again after the pause; this is not a failure. A submit that was
// not sent because the bind went away is sent on the next bind. Any other
// error status is returned together with the response (test it with
// errors.As into a pdu.Status). When the connection is lost or the
// response times out after sm was sent, the error matches
// ErrUnknownOutcome: the message may or may not have been accepted, and
// it is not sent again.
//
// Submit sets sm's header fields; sm must not be used concurrently.
func (c *Client) Submit(ctx context.Context, sm *pdu.SubmitSM) (*pdu.SubmitSMResp, error) {
	if sm == nil {
		return nil, errors.New("smpp: submit_sm: nil pdu")
	}
	var retryOn *txBind // the bind this submit is registered as a retry on
	defer func() {
		if retryOn != nil {
			retryOn.retryDone()
		}
	}()
	attempt := 0
	for {
		b, err := c.transmitter(ctx)
		if err != nil {
			return nil, err
		}
		if retryOn != nil && retryOn != b {
			retryOn.retryDone()
			retryOn = nil
		}
		gen, err := b.wait(ctx, retryOn != nil)
		if err != nil {
			return nil, fmt.Errorf("smpp: submit_sm: %w", err)
		}
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, fmt.Errorf("smpp: submit_sm: rate limit: %w", err)
			}
		}
		if l := c.opts.SharedLimiter; l != nil {
			if err := l.Wait(ctx); err != nil {
				return nil, fmt.Errorf("smpp: submit_sm: shared rate limit: %w", err)
			}
		}
		if attempt > 0 {
			c.stats.retried.Add(1)
		}
		attempt++
		resp, err := b.sess.Submit(ctx, sm)
		var st pdu.Status
		switch {
		case err == nil:
			b.accepted(gen)
			c.stats.submitted.Add(1)
			return resp, nil
		case errors.As(err, &st) && (st == pdu.StatusThrottled || st == pdu.StatusMsgQFull):
			c.stats.throttled.Add(1)
			b.throttled(gen, st)
			if retryOn == nil {
				retryOn = b
				b.addRetry()
			}
		case errors.Is(err, ErrUnknownOutcome):
			c.stats.unknown.Add(1)
			return resp, err
		case ctx.Err() == nil && (errors.Is(err, ErrNotBound) || errors.Is(err, ErrClosed)):
			// Not sent: the session ended or is unbinding. Try the next bind.
			c.retire(b)
		default:
			c.stats.failed.Add(1)
			return resp, err
		}
	}
}

// Send sends any request Session.Send accepts (data_sm, query_sm...) through
// the current transmitter session, waiting for one; there is no throttle
// handling or retry.
func (c *Client) Send(ctx context.Context, req pdu.PDU) (pdu.PDU, error) {
	b, err := c.transmitter(ctx)
	if err != nil {
		return nil, err
	}
	return b.sess.Send(ctx, req)
}

// SubmitText sends msg as one or more submit_sm built from tmpl: tmpl
// gives the addresses, service_type, registered_delivery, TLVs and the
// other fields; its ShortMessage must be empty and its DataCoding is
// chosen from the text (ClientOptions.Text). A text too long for one
// message is split as ClientOptions.Concat says (UDH with an 8- or 16-bit
// reference, sar_* TLVs, or a single message_payload), each part counting
// against the rate limit. It returns the message ids of the parts in
// order. When a part fails, the ids of the parts already accepted are
// returned with the error; the remaining parts are not sent.
func (c *Client) SubmitText(ctx context.Context, tmpl *pdu.SubmitSM, msg string) ([]string, error) {
	if tmpl == nil {
		return nil, errors.New("smpp: submit text: nil template")
	}
	if len(tmpl.ShortMessage) > 0 {
		return nil, errors.New("smpp: submit text: template has a short_message")
	}
	ref := uint16(c.ref.Add(1))
	if c.opts.Concat == text.ConcatUDH8 {
		ref &= 0xFF
	}
	m, err := text.Split(msg, text.SplitOptions{Options: c.opts.Text, Concat: c.opts.Concat, Ref: ref})
	if err != nil {
		return nil, fmt.Errorf("smpp: submit text: %w", err)
	}
	ids := make([]string, 0, len(m.Parts))
	for i, part := range m.Parts {
		sm := &pdu.SubmitSM{MessageFields: tmpl.MessageFields}
		sm.TLVs = append(pdu.TLVs(nil), tmpl.TLVs...)
		sm.DataCoding = m.DataCoding
		switch {
		case c.opts.Concat == text.ConcatPayload:
			sm.ShortMessage = nil
			sm.TLVs.Set(pdu.TagMessagePayload, part.ShortMessage())
		default:
			sm.ShortMessage = part.ShortMessage()
			if part.UDHI() {
				sm.ESMClass |= pdu.ESMUDHI
			}
			if c.opts.Concat == text.ConcatSAR && part.Total > 1 {
				sm.TLVs.SetUint16(pdu.TagSarMsgRefNum, part.Ref)
				sm.TLVs.SetUint8(pdu.TagSarTotalSegments, part.Total)
				sm.TLVs.SetUint8(pdu.TagSarSegmentSeqnum, part.Seq)
			}
		}
		resp, err := c.Submit(ctx, sm)
		if err != nil {
			return ids, fmt.Errorf("smpp: submit text: part %d of %d: %w", i+1, len(m.Parts), err)
		}
		ids = append(ids, resp.MessageID)
	}
	return ids, nil
}
