package smsc

import (
	"fmt"
	"sync"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// WriteMode is how the server cuts its output into socket writes, to test
// the ESME's framing (TCP has no message boundaries).
type WriteMode uint8

// Write modes.
const (
	// WriteWhole writes each PDU with one write. The default.
	WriteWhole WriteMode = iota
	// WriteBytewise writes every octet with a write of its own.
	WriteBytewise
	// WriteCoalesced holds the PDUs produced while handling input that
	// arrived together (responses, an immediate receipt) and writes them
	// with one write once the reader has no more buffered input. PDUs the
	// server sends on its own (Deliver, Send, timers) flush the held ones
	// and go in the same write.
	WriteCoalesced
)

// String returns the mode's name.
func (m WriteMode) String() string {
	switch m {
	case WriteWhole:
		return "whole"
	case WriteBytewise:
		return "bytewise"
	case WriteCoalesced:
		return "coalesced"
	}
	return fmt.Sprintf("WriteMode(%d)", uint8(m))
}

// Faults are the misbehaviours the server can be told to show. They may be
// changed at any time, also while connections are active; the zero value
// is a well-behaved SMSC.
type Faults struct {
	// ThrottleEvery answers every Nth submit_sm or data_sm (counting every
	// attempt since it was set) with ESME_RTHROTTLED; 0 disables it.
	ThrottleEvery int

	// SubmitStatus, when not ESME_ROK, answers every submit_sm and data_sm
	// with this status; the message is not recorded.
	SubmitStatus pdu.Status

	// ErrorBody makes error responses to submit_sm and data_sm carry a
	// body (an empty message_id), as some SMSCs do; by default they are
	// header only, as §4.4.2 says.
	ErrorBody bool

	// ResponseDelay delays every response the server writes (binds and
	// enquire_link included). The reader goes on meanwhile, so responses
	// to pipelined requests overlap, as with a slow SMSC.
	ResponseDelay time.Duration

	// DropResponses leaves submit_sm and data_sm unanswered. The message
	// is still accepted, recorded and receipted: the response was "lost",
	// the case where an ESME must not blindly resend.
	DropResponses bool

	// DropEnquireLinkResp leaves enquire_link unanswered.
	DropEnquireLinkResp bool

	// BindStatus, when not ESME_ROK, refuses every bind_transmitter,
	// bind_receiver and bind_transceiver with this status (e.g.
	// ESME_RBINDFAIL), as an SMSC that is starting up or has blocked the
	// account does. Connections already bound stay bound.
	BindStatus pdu.Status

	// Write chooses how output is cut into socket writes.
	Write WriteMode
}

// faultState is the run-time fault configuration.
type faultState struct {
	mu         sync.Mutex
	f          Faults
	attempts   uint64 // submits seen since ThrottleEvery was set
	failN      int
	failStatus pdu.Status
}

// Faults returns the current faults.
func (s *Server) Faults() Faults {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.f
}

// SetFaults replaces the faults. It does not touch FailNext/ThrottleNext.
func (s *Server) SetFaults(f Faults) {
	s.UpdateFaults(func(cur *Faults) { *cur = f })
}

// UpdateFaults changes the faults atomically, e.g.
//
//	srv.UpdateFaults(func(f *smsc.Faults) { f.DropEnquireLinkResp = true })
//
// fn must not call other Server methods.
func (s *Server) UpdateFaults(fn func(*Faults)) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	old := s.faults.f.ThrottleEvery
	fn(&s.faults.f)
	if s.faults.f.ThrottleEvery != old {
		s.faults.attempts = 0
	}
}

// FailNext answers the next n submit_sm or data_sm with status (n <= 0
// cancels a pending FailNext). It takes precedence over the Faults; a new
// call replaces the previous one.
func (s *Server) FailNext(n int, status pdu.Status) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.failN = max(n, 0)
	s.faults.failStatus = status
}

// ThrottleNext answers the next n submit_sm or data_sm with
// ESME_RTHROTTLED; it is FailNext(n, pdu.StatusThrottled).
func (s *Server) ThrottleNext(n int) { s.FailNext(n, pdu.StatusThrottled) }

// bindVerdict returns the status a bind gets from the faults: ESME_ROK
// to go on with the bind.
func (fs *faultState) bindVerdict() pdu.Status {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f.BindStatus
}

// verdict counts one submit attempt and returns the status it gets from the
// faults: ESME_ROK to accept it.
func (fs *faultState) verdict() pdu.Status {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.attempts++
	switch {
	case fs.failN > 0:
		fs.failN--
		return fs.failStatus
	case fs.f.SubmitStatus != pdu.StatusOK:
		return fs.f.SubmitStatus
	case fs.f.ThrottleEvery > 0 && fs.attempts%uint64(fs.f.ThrottleEvery) == 0:
		return pdu.StatusThrottled
	}
	return pdu.StatusOK
}
