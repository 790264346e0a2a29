package smsc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
)

// Submission is a message the server accepted: a submit_sm or a data_sm
// (exactly one of SubmitSM and DataSM is set) with the message id it was
// given. The PDU is shared by every copy of the Submission and must be
// treated as read-only.
type Submission struct {
	MessageID string    // the id sent in submit_sm_resp / data_sm_resp
	SystemID  string    // system_id of the bind it came on
	Time      time.Time // when it was accepted (Server.Now)
	SubmitSM  *pdu.SubmitSM
	DataSM    *pdu.DataSM

	text text.Options // the server's text settings, for Text
}

// Source returns source_addr.
func (s Submission) Source() string {
	if s.DataSM != nil {
		return s.DataSM.SourceAddr
	}
	if s.SubmitSM != nil {
		return s.SubmitSM.SourceAddr
	}
	return ""
}

// Destination returns destination_addr.
func (s Submission) Destination() string {
	if s.DataSM != nil {
		return s.DataSM.DestinationAddr
	}
	if s.SubmitSM != nil {
		return s.SubmitSM.DestinationAddr
	}
	return ""
}

// RegisteredDelivery returns registered_delivery.
func (s Submission) RegisteredDelivery() uint8 {
	if s.DataSM != nil {
		return s.DataSM.RegisteredDelivery
	}
	if s.SubmitSM != nil {
		return s.SubmitSM.RegisteredDelivery
	}
	return 0
}

// DataCoding returns data_coding.
func (s Submission) DataCoding() uint8 {
	if s.DataSM != nil {
		return s.DataSM.DataCoding
	}
	if s.SubmitSM != nil {
		return s.SubmitSM.DataCoding
	}
	return 0
}

// ESMClass returns esm_class.
func (s Submission) ESMClass() pdu.ESMClass {
	if s.DataSM != nil {
		return s.DataSM.ESMClass
	}
	if s.SubmitSM != nil {
		return s.SubmitSM.ESMClass
	}
	return 0
}

// TLVs returns the optional parameters.
func (s Submission) TLVs() pdu.TLVs {
	if s.DataSM != nil {
		return s.DataSM.TLVs
	}
	if s.SubmitSM != nil {
		return s.SubmitSM.TLVs
	}
	return nil
}

// UserData returns the user data as sent, UDH included: message_payload
// when present (it wins over short_message, notes §5), else short_message.
func (s Submission) UserData() []byte {
	if v, ok := s.TLVs().Get(pdu.TagMessagePayload); ok {
		return v
	}
	if s.SubmitSM != nil {
		return s.SubmitSM.ShortMessage
	}
	return nil
}

// Text decodes the user data with the server's text settings, after the
// UDH when esm_class has UDHI. It fails for binary or unsupported
// data_coding and for a malformed UDH. Concatenated parts are separate
// Submissions; Text decodes one part.
func (s Submission) Text() (string, error) {
	ud := s.UserData()
	dcs := s.DataCoding()
	if !s.ESMClass().UDHI() {
		return text.Decode(dcs, ud, s.text)
	}
	_, rest, err := text.ParseUDH(ud)
	if err != nil {
		return "", fmt.Errorf("message %s: %w", s.MessageID, err)
	}
	if s.text.Packed && s.text.AlphabetOf(dcs) == text.GSM7 {
		return text.DecodeGSM7(text.UnpackUserData(ud, len(ud)-len(rest))), nil
	}
	return text.Decode(dcs, rest, s.text)
}

// Nack is a generic_nack the ESME sent.
type Nack struct {
	SystemID string // "" when the connection was not bound
	Seq      uint32
	Status   pdu.Status
	Time     time.Time
}

// message is the server's view of an accepted message.
type message struct {
	sub    Submission
	origin *Conn // the connection it came on

	// Guarded by recorder.mu.
	doneAt  time.Time    // when it reaches final
	final   MessageState // the state it ends in
	manual  bool         // final was set by SendReceipt
	reached bool         // the receipt timer fired: final whatever Now says
}

// stateAt returns the state at now.
func (m *message) stateAt(now time.Time) MessageState {
	if !m.reached && now.Before(m.doneAt) {
		return StateEnroute
	}
	return m.final
}

// recorder keeps the recent messages and nacks, bounded.
type recorder struct {
	mu      sync.Mutex
	max     int // < 0: keep nothing
	msgs    ring[*message]
	byID    map[string]*message
	total   int // messages recorded since the last Reset
	nacks   ring[Nack]
	changed chan struct{} // closed and replaced when total grows or on Reset
	queued  map[string][]*pdu.DeliverSM
}

func (r *recorder) init(max int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if max == 0 {
		max = DefaultMaxRecords
	}
	r.max = max
	r.msgs = ring[*message]{max: max}
	r.nacks = ring[Nack]{max: max}
	r.byID = make(map[string]*message)
	r.queued = make(map[string][]*pdu.DeliverSM)
	r.changed = make(chan struct{})
}

func (r *recorder) add(m *message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.max < 0 {
		return
	}
	if old, ok := r.msgs.push(m); ok {
		if r.byID[old.sub.MessageID] == old {
			delete(r.byID, old.sub.MessageID)
		}
	}
	r.byID[m.sub.MessageID] = m
	r.total++
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) addNack(n Nack) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.max >= 0 {
		r.nacks.push(n)
	}
}

func (r *recorder) lookup(id string) *message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

// stateOf returns the state of a recorded message and when it became final.
func (r *recorder) stateOf(id string, now time.Time) (MessageState, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byID[id]
	if !ok {
		return 0, time.Time{}, false
	}
	return m.stateAt(now), m.doneAt, true
}

// cancel deletes a message that is not final yet.
func (r *recorder) cancel(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.byID[id]
	if !ok || m.stateAt(now).Final() {
		return false
	}
	m.final, m.doneAt = StateDeleted, now
	return true
}

// settle gives a message its final state now, by hand (SendReceipt): the
// automatic receipt is then not sent.
func (r *recorder) settle(m *message, state MessageState, done time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m.final, m.doneAt, m.manual = state, done, true
}

// reach marks a message final because its ReceiptDelay has passed in real
// time (Server.Now may be a fixed clock).
func (r *recorder) reach(m *message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m.reached = true
}

// finalOf returns the state a message ends in, when, and whether it was
// set by hand.
func (r *recorder) finalOf(m *message) (MessageState, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return m.final, m.doneAt, m.manual
}

// queue keeps a receipt for a system_id with no receiver bound; it reports
// how many were dropped to stay within limit.
func (r *recorder) queue(systemID string, d *pdu.DeliverSM, limit int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := append(r.queued[systemID], d)
	dropped := 0
	if len(q) > limit {
		dropped = len(q) - limit
		clear(q[:dropped])
		q = q[dropped:]
	}
	r.queued[systemID] = q
	return dropped
}

// take removes and returns the receipts queued for a system_id.
func (r *recorder) take(systemID string) []*pdu.DeliverSM {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queued[systemID]
	delete(r.queued, systemID)
	return q
}

// requeue puts receipts back at the head of a system_id's queue.
func (r *recorder) requeue(systemID string, ds []*pdu.DeliverSM) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queued[systemID] = append(ds, r.queued[systemID]...)
}

// Submitted returns the recorded submissions, oldest first: at most
// MaxRecords of them since the last Reset.
func (s *Server) Submitted() []Submission {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return s.rec.submissionsLocked()
}

func (r *recorder) submissionsLocked() []Submission {
	msgs := r.msgs.all()
	out := make([]Submission, len(msgs))
	for i, m := range msgs {
		out[i] = m.sub
	}
	return out
}

// WaitSubmitted waits until at least n submissions have been recorded since
// the last Reset and returns Submitted. It fails with the context's error,
// or at once when n exceeds MaxRecords or recording is disabled.
func (s *Server) WaitSubmitted(ctx context.Context, n int) ([]Submission, error) {
	for {
		s.rec.mu.Lock()
		if s.rec.byID == nil {
			s.rec.mu.Unlock()
			return nil, errors.New("smsc: wait for submissions: server not started")
		}
		if s.rec.max < 0 || n > s.rec.max {
			s.rec.mu.Unlock()
			return nil, fmt.Errorf("smsc: wait for %d submissions: recording holds at most %d", n, max(s.rec.max, 0))
		}
		if s.rec.total >= n {
			out := s.rec.submissionsLocked()
			s.rec.mu.Unlock()
			return out, nil
		}
		ch, got := s.rec.changed, s.rec.total
		s.rec.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("smsc: wait for %d submissions (have %d): %w", n, got, context.Cause(ctx))
		}
	}
}

// Nacks returns the generic_nacks the ESME sent, oldest first (at most
// MaxRecords since the last Reset).
func (s *Server) Nacks() []Nack {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return s.rec.nacks.all()
}

// Reset forgets the recorded submissions, nacks and queued receipts, so a
// test can start from a clean slate (or a long run can free memory).
// Message ids keep counting; faults and connections are not touched.
func (s *Server) Reset() {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	if s.rec.byID == nil {
		return
	}
	s.rec.msgs.reset()
	s.rec.nacks.reset()
	clear(s.rec.byID)
	clear(s.rec.queued)
	s.rec.total = 0
	close(s.rec.changed)
	s.rec.changed = make(chan struct{})
}

// ring is a bounded FIFO that drops its oldest element when full.
type ring[T any] struct {
	buf  []T
	head int // index of the oldest element once buf is full
	max  int
}

// push appends v and returns the element it evicted, if any.
func (r *ring[T]) push(v T) (old T, evicted bool) {
	if r.max <= 0 {
		return old, false
	}
	if len(r.buf) < r.max {
		r.buf = append(r.buf, v)
		return old, false
	}
	old = r.buf[r.head]
	r.buf[r.head] = v
	r.head = (r.head + 1) % r.max
	return old, true
}

// all returns the elements, oldest first, in a new slice.
func (r *ring[T]) all() []T {
	out := make([]T, 0, len(r.buf))
	out = append(out, r.buf[r.head:]...)
	return append(out, r.buf[:r.head]...)
}

func (r *ring[T]) reset() {
	clear(r.buf)
	r.buf = r.buf[:0]
	r.head = 0
}
