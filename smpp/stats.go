package smpp

import "sync/atomic"

// SessionStats are counters of one session since it was created.
type SessionStats struct {
	PDUsIn        uint64 // frames received
	PDUsOut       uint64 // PDUs queued for writing
	Timeouts      uint64 // requests that got no response in time
	GenericNacks  uint64 // requests completed by a generic_nack
	Dropped       uint64 // responses dropped: unknown sequence number or mismatched command_id
	Malformed     uint64 // frames that failed framing or decoding
	Handled       uint64 // deliveries passed to the Handler
	HandlerErrors uint64 // deliveries answered with an error status
	Pending       int    // requests waiting for a response now
}

type sessionCounters struct {
	pdusIn, pdusOut, timeouts, nacks, dropped, malformed, handled, handlerErrors atomic.Uint64
}

// Stats returns a snapshot of the session's counters.
func (s *Session) Stats() SessionStats {
	s.mu.Lock()
	n := len(s.pending)
	s.mu.Unlock()
	return SessionStats{
		PDUsIn:        s.stats.pdusIn.Load(),
		PDUsOut:       s.stats.pdusOut.Load(),
		Timeouts:      s.stats.timeouts.Load(),
		GenericNacks:  s.stats.nacks.Load(),
		Dropped:       s.stats.dropped.Load(),
		Malformed:     s.stats.malformed.Load(),
		Handled:       s.stats.handled.Load(),
		HandlerErrors: s.stats.handlerErrors.Load(),
		Pending:       n,
	}
}
