package smpp

import (
	"net"
	"sync"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// Write path tuning.
const (
	// maxQueued is the number of encoded octets that may wait for the
	// writer before enqueue blocks (backpressure when the peer does not
	// read); a single PDU is always accepted into an empty queue.
	maxQueued = 1 << 20
	// maxKeepBuf is the largest buffer the writer keeps for reuse.
	maxKeepBuf = 256 << 10
)

// writer serializes all writes of a session through one goroutine. Callers
// encode their PDU straight into the shared queue buffer under mu (no I/O
// happens under mu); the goroutine swaps that buffer for a spare one and
// writes everything queued with a single Write, so that PDUs queued while a
// write is in progress go out together in the next one. Every Write has a
// deadline.
type writer struct {
	conn    net.Conn
	timeout time.Duration
	wake    chan struct{} // capacity 1: something was queued

	mu    sync.Mutex
	cond  sync.Cond // signalled when octets are taken or written, or on close
	buf   []byte    // queued octets
	spare []byte    // empty buffer for the next swap
	// queued, taken and written count octets since the start: queued were
	// appended to buf, taken were handed to conn.Write (possibly sent),
	// written were reported written by conn.Write.
	queued, taken, written uint64
	err                    error // sticky: closed or failed
}

func newWriter(conn net.Conn, timeout time.Duration) *writer {
	w := &writer{
		conn:    conn,
		timeout: timeout,
		wake:    make(chan struct{}, 1),
		buf:     make([]byte, 0, 4096),
		spare:   make([]byte, 0, 4096),
	}
	w.cond.L = &w.mu
	return w
}

// enqueue encodes p into the queue and returns the queue offset just past
// it, for waitWritten. It blocks while the queue is over maxQueued. When e
// is not nil its offset is recorded under the lock (see pendingSent).
func (w *writer) enqueue(p pdu.PDU, e *pending) (uint64, error) {
	w.mu.Lock()
	for w.err == nil && len(w.buf) >= maxQueued {
		w.cond.Wait()
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return 0, err
	}
	n := len(w.buf)
	b, err := pdu.Append(w.buf, p)
	if err != nil {
		w.mu.Unlock()
		return 0, err
	}
	w.buf = b
	if e != nil {
		e.queued = true
		e.off = w.queued
	}
	w.queued += uint64(len(b) - n)
	end := w.queued
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return end, nil
}

// waitWritten blocks until the queue has been written up to end or the
// writer has failed or closed. It is bounded by the write timeout.
func (w *writer) waitWritten(end uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.written < end && w.err == nil {
		w.cond.Wait()
	}
	if w.written >= end {
		return nil
	}
	return w.err
}

// close makes every later enqueue fail with err and wakes all waiters. It
// does not interrupt a Write in progress: closing the conn does.
func (w *writer) close(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.cond.Broadcast()
	w.mu.Unlock()
}

// offset returns the queue offset at which the PDU of e starts, once it
// was queued.
func (w *writer) offset(e *pending) (uint64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return e.off, e.queued
}

// pendingSent reports whether the PDU of e was handed to conn.Write (so the
// peer may have received it). It must be called after close.
func (w *writer) pendingSent(es []*pending) []bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	sent := make([]bool, len(es))
	for i, e := range es {
		sent[i] = e.queued && e.off < w.taken
	}
	return sent
}

// run is the writer goroutine. It returns when done is closed or a write
// fails; onErr is called with the write error.
func (w *writer) run(done <-chan struct{}, onErr func(error)) {
	for {
		select {
		case <-w.wake:
		case <-done:
			return
		}
		w.mu.Lock()
		if w.err != nil {
			w.mu.Unlock()
			return
		}
		buf := w.buf
		w.buf, w.spare = w.spare[:0], nil
		w.taken += uint64(len(buf))
		w.cond.Broadcast() // room in the queue again
		w.mu.Unlock()
		if len(buf) == 0 {
			continue
		}

		err := w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
		n := 0
		if err == nil {
			n, err = w.conn.Write(buf)
		}

		w.mu.Lock()
		w.written += uint64(n)
		if cap(buf) <= maxKeepBuf {
			w.spare = buf[:0]
		} else {
			w.spare = make([]byte, 0, 4096)
		}
		if err != nil && w.err == nil {
			w.err = err
		}
		w.cond.Broadcast()
		w.mu.Unlock()
		if err != nil {
			onErr(err)
			return
		}
	}
}
