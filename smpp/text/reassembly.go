package text

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Errors returned by Reassembler.Add.
var (
	// ErrInvalidPart means total or seq is 0, seq exceeds total, or total
	// exceeds the reassembler's MaxParts.
	ErrInvalidPart = errors.New("text: invalid concatenation values")
	// ErrPartMismatch means a part disagrees with the earlier parts of its
	// message on total or data_coding. The pending message is kept.
	ErrPartMismatch = errors.New("text: part does not match its message")
	// ErrTooManyPending means MaxPending messages are already waiting for
	// parts; the new message's part is rejected.
	ErrTooManyPending = errors.New("text: too many incomplete messages")
)

// Key identifies the sender and recipient of a concatenated message; parts
// are grouped by Key and reference number.
type Key struct {
	Source string
	Dest   string
}

// ReassemblerOptions configure a Reassembler. Zero fields take defaults.
type ReassemblerOptions struct {
	// Timeout is how long after its first part a message may wait for the
	// rest. Default 10 minutes.
	Timeout time.Duration
	// MaxParts is the largest total accepted, up to 255 (the default).
	MaxParts int
	// MaxPending is how many incomplete messages may wait at once.
	// Default 1000.
	MaxPending int
}

// Defaults of ReassemblerOptions.
const (
	DefaultReassemblyTimeout = 10 * time.Minute
	DefaultMaxPending        = 1000
)

// Expired describes an incomplete message dropped by Expire.
type Expired struct {
	Key        Key
	Ref        uint16
	Total      uint8
	Received   int       // distinct parts received
	DataCoding uint8     // data_coding of the parts
	First      time.Time // arrival of the first part
}

// Reassembler joins the parts of concatenated mobile-originated messages,
// whether tied by a UDH (IEI 0x00 or 0x08) or by sar_* TLVs. Parts may
// arrive in any order and more than once. It is safe for concurrent use.
//
// When MaxPending messages are incomplete, a part that would start another
// one is rejected with ErrTooManyPending (the waiting messages are kept, so
// a flood of first parts cannot evict messages that are about to complete);
// call Expire regularly to drop stale messages and report them.
//
// A part that arrives after its message completed starts a new message,
// which never completes and is eventually reported by Expire.
type Reassembler struct {
	timeout    time.Duration
	maxParts   int
	maxPending int

	mu      sync.Mutex
	pending map[pendingKey]*pendingMsg
}

type pendingKey struct {
	Key
	ref uint16
}

type pendingMsg struct {
	total    uint8
	dcs      uint8
	first    time.Time
	parts    [][]byte // index seq-1; nil until received
	received int
}

// NewReassembler returns an empty Reassembler.
func NewReassembler(o ReassemblerOptions) *Reassembler {
	r := &Reassembler{
		timeout:    o.Timeout,
		maxParts:   o.MaxParts,
		maxPending: o.MaxPending,
		pending:    make(map[pendingKey]*pendingMsg),
	}
	if r.timeout <= 0 {
		r.timeout = DefaultReassemblyTimeout
	}
	if r.maxParts <= 0 || r.maxParts > MaxParts {
		r.maxParts = MaxParts
	}
	if r.maxPending <= 0 {
		r.maxPending = DefaultMaxPending
	}
	return r
}

// Add records part seq of total of the message (key, ref) received at now
// with data_coding dcs, and when it was the last missing part returns the
// user data of all parts joined in seq order, with done true. data is the
// part's user data without UDH; it is copied. For packed GSM 7-bit, pass the
// unpacked septets (UnpackUserData) and decode the result as unpacked.
// Decode the joined data with Decode and the message's dcs.
//
// A message of total 1 completes at once. A repeated part is ignored (the
// first copy is kept). A pending message older than the timeout is discarded
// before the part is recorded, so a reused reference starts afresh.
func (r *Reassembler) Add(now time.Time, key Key, ref uint16, total, seq uint8, dcs uint8, data []byte) (complete []byte, done bool, err error) {
	if total == 0 || seq == 0 || seq > total || int(total) > r.maxParts {
		return nil, false, fmt.Errorf("part %d of %d (limit %d): %w", seq, total, r.maxParts, ErrInvalidPart)
	}
	if total == 1 {
		return append([]byte{}, data...), true, nil
	}
	k := pendingKey{Key: key, ref: ref}

	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.pending[k]
	if m != nil && now.Sub(m.first) > r.timeout {
		delete(r.pending, k)
		m = nil
	}
	if m == nil {
		if len(r.pending) >= r.maxPending {
			return nil, false, fmt.Errorf("%d messages pending: %w", len(r.pending), ErrTooManyPending)
		}
		m = &pendingMsg{total: total, dcs: dcs, first: now, parts: make([][]byte, total)}
		r.pending[k] = m
	}
	switch {
	case m.total != total:
		return nil, false, fmt.Errorf("total %d, earlier parts say %d: %w", total, m.total, ErrPartMismatch)
	case m.dcs != dcs:
		return nil, false, fmt.Errorf("data_coding 0x%02X, earlier parts have 0x%02X: %w", dcs, m.dcs, ErrPartMismatch)
	}
	if m.parts[seq-1] != nil {
		return nil, false, nil
	}
	m.parts[seq-1] = append(make([]byte, 0, len(data)), data...)
	m.received++
	if m.received < int(m.total) {
		return nil, false, nil
	}
	delete(r.pending, k)
	n := 0
	for _, p := range m.parts {
		n += len(p)
	}
	complete = make([]byte, 0, n)
	for _, p := range m.parts {
		complete = append(complete, p...)
	}
	return complete, true, nil
}

// Expire drops the messages whose first part arrived more than the timeout
// before now, and describes them, oldest first.
func (r *Reassembler) Expire(now time.Time) []Expired {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Expired
	for k, m := range r.pending {
		if now.Sub(m.first) <= r.timeout {
			continue
		}
		delete(r.pending, k)
		out = append(out, Expired{
			Key:        k.Key,
			Ref:        k.ref,
			Total:      m.total,
			Received:   m.received,
			DataCoding: m.dcs,
			First:      m.first,
		})
	}
	slices.SortFunc(out, func(a, b Expired) int { return a.First.Compare(b.First) })
	return out
}

// Pending returns the number of incomplete messages.
func (r *Reassembler) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}
