package smsgwtest

import (
	"context"
	"fmt"
	"sync"

	"github.com/smsgw/smsgw/smsgw"
)

// Sender is a smsgw.Sender that records the MTs it accepts and gives each
// the SMSC message id mt-1, mt-2, ... in order of acceptance. While an
// error is set with SetError it accepts nothing and returns that error.
// Its zero value is ready to use; it is safe for concurrent use.
type Sender struct {
	mu   sync.Mutex
	sent []smsgw.MT
	n    int
	err  error
}

var _ smsgw.Sender = (*Sender)(nil)

// Send records m and returns its message id, or returns the error set with
// SetError.
func (s *Sender) Send(_ context.Context, m smsgw.MT) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	s.n++
	s.sent = append(s.sent, m)
	return []string{fmt.Sprintf("mt-%d", s.n)}, nil
}

// SetError makes every later Send fail with err; nil makes Send accept
// again. An error with a Temporary() bool method reporting false is a
// permanent failure to the gateway.
func (s *Sender) SetError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Take returns the MTs recorded since the last Take, oldest first, and
// forgets them.
func (s *Sender) Take() []smsgw.MT {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sent
	s.sent = nil
	return out
}
