package smpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// maxSeq is the largest sequence number (SMPP v3.4 §5.1.4).
const maxSeq = 0x7FFFFFFF

// SessionState is the state of a Session (SMPP v3.4 §2.2, plus the internal
// binding and unbinding states).
type SessionState int32

// Session states.
const (
	StateOpen      SessionState = iota // connected, not bound
	StateBinding                       // bind sent
	StateBoundTX                       // bound as transmitter
	StateBoundRX                       // bound as receiver
	StateBoundTRX                      // bound as transceiver
	StateUnbinding                     // unbind sent or received
	StateClosed                        // connection closed
)

// String returns the state's name.
func (st SessionState) String() string {
	switch st {
	case StateOpen:
		return "open"
	case StateBinding:
		return "binding"
	case StateBoundTX:
		return "bound_tx"
	case StateBoundRX:
		return "bound_rx"
	case StateBoundTRX:
		return "bound_trx"
	case StateUnbinding:
		return "unbinding"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("SessionState(%d)", int32(st))
}

// Bound reports whether st is one of the bound states.
func (st SessionState) Bound() bool {
	return st == StateBoundTX || st == StateBoundRX || st == StateBoundTRX
}

// canTransmit reports whether submits are allowed in st.
func (st SessionState) canTransmit() bool { return st == StateBoundTX || st == StateBoundTRX }

// canReceive reports whether deliveries are expected in st. A transmitter
// may receive data_sm (§2.3), and unbinding sessions still answer.
func (st SessionState) canReceive() bool { return st.Bound() || st == StateUnbinding }

func boundState(m BindMode) SessionState {
	switch m {
	case Transmitter:
		return StateBoundTX
	case Receiver:
		return StateBoundRX
	}
	return StateBoundTRX
}

// pending is one request waiting for its response.
type pending struct {
	id     pdu.CommandID
	window bool // holds a window slot; counts towards MaxTimeouts
	bind   bool // a bind_*: an OK response moves the session to bound
	mode   BindMode
	start  time.Time
	timer  *time.Timer
	ch     chan result // capacity 1; exactly one result is ever sent

	// Set by the writer under its lock.
	queued bool
	off    uint64
}

type result struct {
	p   pdu.PDU
	err error
}

// Session is one SMPP connection, ESME side: it binds, sends requests and
// matches their responses, answers the SMSC's requests, keeps the link
// alive with enquire_link and unbinds.
//
// A Session runs one reader goroutine, one writer goroutine, a keepalive
// goroutine once bound, and a fixed pool of Workers goroutines for the
// Handler. Its methods are safe for concurrent use. Close must always be
// called, also after Unbind or after the peer closed the connection (it
// is idempotent and cheap then).
type Session struct {
	id   uint64
	conn net.Conn
	opts SessionOptions
	log  *slog.Logger
	m    Metrics
	w    *writer

	mu       sync.Mutex // guards the fields below; never held during I/O or waits
	state    SessionState
	pending  map[uint32]*pending
	seq      uint32
	started  bool
	wasBound bool
	stopped  bool  // stop is closed
	cause    error // why the session closed

	window chan struct{} // semaphore: one token per outstanding window request
	stop   chan struct{} // closed when no new requests are taken (unbinding or closed)
	done   chan struct{} // closed when the session closes

	epoch    time.Time
	lastRecv atomic.Int64 // time.Since(epoch) of the last PDU received
	timeouts atomic.Int32 // consecutive response timeouts

	acks    ackTracker   // responses to deliveries not yet known read by the SMSC
	moq     chan pdu.PDU // received deliver_sm / data_sm / alert_notification for the workers
	mo      gate         // received and not yet answered
	hctx    context.Context
	hcancel context.CancelFunc

	closeOnce sync.Once
	wg        sync.WaitGroup
	stats     sessionCounters
}

// NewSession returns a session over conn. It does no I/O and starts no
// goroutine: Bind does. The session owns conn from now on.
func NewSession(conn net.Conn, opts SessionOptions) *Session {
	opts = opts.withDefaults()
	peer := "unknown"
	if a := conn.RemoteAddr(); a != nil {
		peer = a.String()
	}
	s := &Session{
		conn:    conn,
		opts:    opts,
		log:     opts.Logger.With(logKeyComponent, componentName, logKeyPeer, peer),
		m:       opts.Metrics,
		w:       newWriter(conn, opts.WriteTimeout),
		pending: make(map[uint32]*pending),
		window:  make(chan struct{}, opts.Window),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		moq:     make(chan pdu.PDU, opts.QueueSize),
		epoch:   time.Now(),
	}
	s.id = nextSessionID.Add(1)
	s.hctx, s.hcancel = context.WithCancel(context.WithValue(context.Background(), sessionKey{}, s))
	return s
}

// nextSessionID numbers sessions within the process.
var nextSessionID atomic.Uint64

type sessionKey struct{}

// ID returns the session's number, unique within the process.
func (s *Session) ID() uint64 { return s.id }

// SessionFromContext returns the session whose Handler call ctx belongs to,
// so a handler can tell which connection delivered a message (a
// redelivery after a lost response comes over a new one).
func SessionFromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok
}

// State returns the current state.
func (s *Session) State() SessionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Done returns a channel closed when the session has closed (by Close,
// Unbind, the peer, or a dead link).
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session closed, or nil while it is open. The causes
// of this package are ErrClosed (Close), ErrPeerUnbind, ErrLinkDead and
// ErrProtocol; a read or write error is returned wrapped.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause
}

// RemoteAddr returns the peer's address.
func (s *Session) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// Bind sends a bind_transmitter, bind_receiver or bind_transceiver, as mode
// says, and waits for its response (bounded by ctx and ResponseTimeout).
// It starts the session's goroutines. When the SMSC refuses, the response
// is returned together with its pdu.Status as the error (test with
// errors.As or errors.Is, e.g. pdu.StatusInvPassword). After a failed Bind
// the session should be closed.
func (s *Session) Bind(ctx context.Context, mode BindMode, p BindParams) (*pdu.BindResp, error) {
	var id pdu.CommandID
	switch mode {
	case Transceiver:
		id = pdu.BindTransceiverID
	case Transmitter:
		id = pdu.BindTransmitterID
	case Receiver:
		id = pdu.BindReceiverID
	default:
		return nil, fmt.Errorf("smpp: bind: mode %v needs two sessions, use Client", mode)
	}
	s.mu.Lock()
	switch s.state {
	case StateOpen:
	case StateClosed:
		s.mu.Unlock()
		return nil, fmt.Errorf("smpp: %v: %w", id, ErrClosed)
	default:
		st := s.state
		s.mu.Unlock()
		return nil, fmt.Errorf("smpp: %v: session is %v", id, st)
	}
	s.state = StateBinding
	s.startLocked()
	s.mu.Unlock()

	iv := p.InterfaceVersion
	if iv == 0 {
		iv = DefaultInterfaceVersion
	}
	req := &pdu.Bind{
		Header:           pdu.Header{ID: id},
		SystemID:         p.SystemID,
		Password:         p.Password,
		SystemType:       p.SystemType,
		InterfaceVersion: iv,
		AddrTON:          p.AddrTON,
		AddrNPI:          p.AddrNPI,
		AddressRange:     p.AddressRange,
	}
	resp, err := s.roundTrip(ctx, req, reqOpts{
		timeout: s.opts.ResponseTimeout,
		bind:    true,
		mode:    mode,
		allow: func(st SessionState) error {
			if st != StateBinding {
				return fmt.Errorf("smpp: session is %v", st)
			}
			return nil
		},
	})
	br, _ := resp.(*pdu.BindResp)
	if err != nil {
		s.mu.Lock()
		if s.state == StateBinding {
			s.state = StateOpen
		}
		s.mu.Unlock()
		return br, fmt.Errorf("smpp: %v: %w", id, err)
	}

	s.mu.Lock()
	if s.state == StateClosed {
		s.mu.Unlock()
		return br, fmt.Errorf("smpp: %v: %w", id, ErrClosed)
	}
	s.wasBound = true
	if s.opts.EnquireLinkInterval > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.keepalive()
		}()
	}
	s.mu.Unlock()
	s.m.Bound(true)
	smsc := ""
	if br != nil {
		smsc = br.SystemID
	}
	s.log.Info("smpp: bound", logKeyMode, mode.String(), logKeySystemID, p.SystemID, logKeySMSC, smsc)
	return br, nil
}

// startLocked starts the reader, the writer and the workers once.
func (s *Session) startLocked() {
	if s.started {
		return
	}
	s.started = true
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.readLoop()
	}()
	go func() {
		defer s.wg.Done()
		s.w.run(s.done, func(err error) {
			s.fail(fmt.Errorf("smpp: write: %w", err))
		})
	}()
	if s.opts.Handler != nil || s.opts.OnAlert != nil {
		s.wg.Add(s.opts.Workers)
		for range s.opts.Workers {
			go func() {
				defer s.wg.Done()
				s.worker()
			}()
		}
	}
}

// Submit sends sm and waits for its submit_sm_resp. A full window makes it
// wait for a slot (bounded by ctx). When the SMSC answers with an error
// status, the response and its pdu.Status (as the error) are both
// returned; a generic_nack returns a nil response and its status wrapped.
// Other errors: ErrNotBound and a plain ErrClosed mean the PDU was not
// sent; ErrUnknownOutcome (with ErrTimeout, ErrClosed or the ctx error)
// means it was sent but not answered.
//
// Submit sets sm's sequence number, status and length: sm must not be used
// concurrently, but may be submitted again after Submit returns.
func (s *Session) Submit(ctx context.Context, sm *pdu.SubmitSM) (*pdu.SubmitSMResp, error) {
	if sm == nil {
		return nil, errors.New("smpp: submit_sm: nil pdu")
	}
	sm.Header.ID = pdu.SubmitSMID
	resp, err := s.Send(ctx, sm)
	r, _ := resp.(*pdu.SubmitSMResp)
	return r, err
}

// Send sends a request (submit_sm, data_sm, query_sm, enquire_link,
// cancel_sm, replace_sm or submit_multi) and waits for its response, with
// the same window, timeout and error rules as Submit. req's Header.ID must
// be set when the type has several (pdu.New sets it).
func (s *Session) Send(ctx context.Context, req pdu.PDU) (pdu.PDU, error) {
	if req == nil {
		return nil, errors.New("smpp: send: nil pdu")
	}
	id := req.Hdr().ID
	if id == 0 {
		id = requestID(req)
		req.Hdr().ID = id
	}
	switch id {
	case pdu.SubmitSMID, pdu.SubmitMultiID, pdu.QuerySMID, pdu.CancelSMID, pdu.ReplaceSMID:
	case pdu.DataSMID, pdu.EnquireLinkID:
	default:
		return nil, fmt.Errorf("smpp: send: %v is not a request an ESME sends with Send", id)
	}
	return s.roundTrip(ctx, req, reqOpts{
		window:  true,
		timeout: s.opts.ResponseTimeout,
		allow: func(st SessionState) error {
			switch {
			case st == StateClosed:
				return ErrClosed
			case st.canTransmit():
				return nil
			case st == StateBoundRX && (id == pdu.DataSMID || id == pdu.EnquireLinkID):
				return nil
			case st == StateBoundRX:
				return fmt.Errorf("%w as transmitter (bound as receiver)", ErrNotBound)
			case st == StateUnbinding:
				return fmt.Errorf("%w (unbinding)", ErrNotBound)
			}
			return ErrNotBound
		},
	})
}

// requestID returns the command_id of the request types with one id.
func requestID(p pdu.PDU) pdu.CommandID {
	switch p.(type) {
	case *pdu.SubmitSM:
		return pdu.SubmitSMID
	case *pdu.SubmitMulti:
		return pdu.SubmitMultiID
	case *pdu.DataSM:
		return pdu.DataSMID
	case *pdu.QuerySM:
		return pdu.QuerySMID
	case *pdu.CancelSM:
		return pdu.CancelSMID
	case *pdu.ReplaceSM:
		return pdu.ReplaceSMID
	case *pdu.EnquireLink:
		return pdu.EnquireLinkID
	}
	return 0
}

// reqOpts describes how roundTrip sends one request.
type reqOpts struct {
	window  bool // take a window slot (application requests)
	timeout time.Duration
	bind    bool
	mode    BindMode
	allow   func(SessionState) error // checked under mu when registering
}

// roundTrip registers req in the pending map, queues it and waits for the
// result. The entry is registered before the PDU is queued, so a fast
// response always finds it.
func (s *Session) roundTrip(ctx context.Context, req pdu.PDU, o reqOpts) (pdu.PDU, error) {
	h := req.Hdr()
	if o.window {
		if err := s.acquire(ctx); err != nil {
			return nil, fmt.Errorf("smpp: %v: %w", h.ID, err)
		}
	}
	if err := ctx.Err(); err != nil {
		if o.window {
			s.release()
		}
		return nil, fmt.Errorf("smpp: %v: %w", h.ID, err)
	}
	e := &pending{id: h.ID, window: o.window, bind: o.bind, mode: o.mode, ch: make(chan result, 1)}

	s.mu.Lock()
	if err := o.allow(s.state); err != nil {
		s.mu.Unlock()
		if o.window {
			s.release()
		}
		return nil, fmt.Errorf("smpp: %v: %w", h.ID, err)
	}
	seq := s.nextSeqLocked()
	s.pending[seq] = e
	e.start = time.Now()
	e.timer = time.AfterFunc(o.timeout, func() { s.expire(seq, e) })
	s.mu.Unlock()

	h.Seq = seq
	h.Status = pdu.StatusOK
	if _, err := s.w.enqueue(req, e); err != nil {
		s.take(seq, e)
		var ee *pdu.EncodeError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("smpp: %w", err)
		}
		return nil, fmt.Errorf("smpp: %v: %w", h.ID, s.closedErr())
	}
	s.stats.pdusOut.Add(1)
	s.m.PDUOut(h.ID)

	select {
	case r := <-e.ch:
		return r.p, r.err
	case <-ctx.Done():
		select {
		case r := <-e.ch:
			return r.p, r.err
		default:
		}
		// The entry stays until its response or timeout, keeping the
		// window slot: the SMSC still counts the request as outstanding.
		return nil, fmt.Errorf("smpp: %v seq %d: %w: %w", h.ID, seq, ctx.Err(), ErrUnknownOutcome)
	}
}

// nextSeqLocked returns the next free sequence number: 1..0x7FFFFFFF,
// wrapping to 1 and skipping numbers still pending.
func (s *Session) nextSeqLocked() uint32 {
	for {
		s.seq++
		if s.seq > maxSeq || s.seq == 0 {
			s.seq = 1
		}
		if _, busy := s.pending[s.seq]; !busy {
			return s.seq
		}
	}
}

// acquire takes a window slot, waiting for one while the window is full.
func (s *Session) acquire(ctx context.Context) error {
	select {
	case s.window <- struct{}{}:
	default:
		select {
		case s.window <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stop:
			return s.stoppedErr()
		}
	}
	s.m.Window(len(s.window))
	return nil
}

// release returns a window slot.
func (s *Session) release() {
	select {
	case <-s.window:
	default:
	}
	s.m.Window(len(s.window))
}

// stoppedErr is the error for a request refused because the session stopped
// taking requests.
func (s *Session) stoppedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == StateClosed {
		return s.closedErrLocked()
	}
	return fmt.Errorf("%w (unbinding)", ErrNotBound)
}

func (s *Session) closedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closedErrLocked()
}

// closedErrLocked returns ErrClosed, wrapping the cause when it is another.
func (s *Session) closedErrLocked() error {
	if s.cause == nil || errors.Is(s.cause, ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, s.cause)
}

// take removes the entry seq if it is still e, releasing its window slot
// and stopping its timer. Exactly one of take, the response and fail wins
// an entry and sends its result.
func (s *Session) take(seq uint32, e *pending) bool {
	s.mu.Lock()
	if s.pending[seq] != e {
		s.mu.Unlock()
		return false
	}
	delete(s.pending, seq)
	s.mu.Unlock()
	e.timer.Stop()
	if e.window {
		s.release()
	}
	return true
}

// expire fails the request seq with ErrTimeout when its deadline passes.
func (s *Session) expire(seq uint32, e *pending) {
	if !s.take(seq, e) {
		return
	}
	s.stats.timeouts.Add(1)
	// Count before completing the request, so that a response the caller
	// provokes next resets the count after this timeout, not before.
	var n int32
	if e.window {
		n = s.timeouts.Add(1)
	}
	e.ch <- result{err: fmt.Errorf("smpp: %v seq %d: %w: %w", e.id, seq, ErrTimeout, ErrUnknownOutcome)}
	s.log.Warn("smpp: response timeout", logKeyCommand, e.id.String(), logKeySeq, seq)
	if e.window && s.opts.MaxTimeouts > 0 && int(n) >= s.opts.MaxTimeouts {
		s.log.Error("smpp: link dead: consecutive response timeouts, closing", logKeyTimeouts, n)
		s.fail(fmt.Errorf("%w: %d consecutive response timeouts", ErrLinkDead, n))
	}
}

// Unbind ends the session gracefully: it stops taking new requests (they
// fail with ErrNotBound), waits for outstanding responses and running
// handlers (at most UnbindTimeout), sends unbind, waits for unbind_resp (at
// most UnbindTimeout), then closes the session. ctx bounds the whole. The
// session is closed when Unbind returns, whatever the error.
func (s *Session) Unbind(ctx context.Context) error {
	defer s.Close()
	s.mu.Lock()
	st := s.state
	if !st.Bound() {
		s.mu.Unlock()
		switch st {
		case StateClosed:
			return nil
		case StateUnbinding:
			// Another Unbind, or the peer's unbind, is in progress.
			select {
			case <-s.done:
				return nil
			case <-ctx.Done():
				return fmt.Errorf("smpp: unbind: %w", ctx.Err())
			}
		}
		return fmt.Errorf("smpp: unbind: %w", ErrNotBound)
	}
	s.state = StateUnbinding
	s.stopLocked()
	s.mu.Unlock()

	// Drain: every window slot free means no request is outstanding.
	dctx, cancel := context.WithTimeout(ctx, s.opts.UnbindTimeout)
	drained := true
drain:
	for range cap(s.window) {
		select {
		case s.window <- struct{}{}:
		case <-dctx.Done():
			drained = false
			break drain
		case <-s.done:
			cancel()
			return nil
		}
	}
	if drained {
		drained = s.mo.wait(dctx) == nil
	}
	cancel()
	if !drained {
		s.log.Warn("smpp: unbind: outstanding requests or handlers did not finish in time")
	}
	if ctx.Err() != nil {
		return fmt.Errorf("smpp: unbind: %w", ctx.Err())
	}

	_, err := s.roundTrip(ctx, &pdu.Unbind{Header: pdu.Header{ID: pdu.UnbindID}}, reqOpts{
		timeout: s.opts.UnbindTimeout,
		allow: func(st SessionState) error {
			if st != StateUnbinding {
				return ErrClosed
			}
			return nil
		},
	})
	if err != nil && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("smpp: unbind: %w", err)
	}
	s.log.Info("smpp: unbound")
	return nil
}

// Close closes the connection, fails every outstanding request with
// ErrClosed and waits for the session's goroutines, running handlers
// included. It does not unbind (see Unbind). It is idempotent and always
// returns nil. It must not be called from a Handler.
func (s *Session) Close() error {
	s.fail(ErrClosed)
	s.wg.Wait()
	return nil
}

// stopLocked closes stop once.
func (s *Session) stopLocked() {
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
}

// fail closes the session once with cause: it closes the connection first
// (which unblocks the reader and the writer), then completes every pending
// request. It never waits for goroutines, so any of them may call it.
func (s *Session) fail(cause error) {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.cause = cause
		// The peer closing the link while an unbind is under way is the
		// expected end of a clean unbind, not a fault.
		unbinding := s.state == StateUnbinding
		s.state = StateClosed
		s.stopLocked()
		pend := s.pending
		s.pending = make(map[uint32]*pending)
		wasBound := s.wasBound
		s.mu.Unlock()

		close(s.done)
		_ = s.conn.Close()
		s.w.close(ErrClosed)
		s.hcancel()
		s.acks.close()

		seqs := make([]uint32, 0, len(pend))
		es := make([]*pending, 0, len(pend))
		for seq, e := range pend {
			seqs = append(seqs, seq)
			es = append(es, e)
		}
		sent := s.w.pendingSent(es)
		closed := s.closedErr()
		for i, e := range es {
			e.timer.Stop()
			if e.window {
				s.release()
			}
			err := closed
			if sent[i] {
				err = fmt.Errorf("smpp: %v seq %d: %w: %w", e.id, seqs[i], ErrUnknownOutcome, closed)
			}
			e.ch <- result{err: err}
		}
		if wasBound {
			s.m.Bound(false)
		}
		switch {
		case errors.Is(cause, ErrClosed):
			s.log.Debug("smpp: session closed")
		case errors.Is(cause, ErrPeerUnbind), unbinding:
			s.log.Info("smpp: session closed", logKeyCause, cause.Error())
		default:
			s.log.Warn("smpp: session closed", logKeyCause, cause.Error())
		}
	})
}

// keepalive sends enquire_link when nothing has been received for
// EnquireLinkInterval and closes the session when it is not answered
// within EnquireLinkTimeout.
func (s *Session) keepalive() {
	iv := s.opts.EnquireLinkInterval
	t := time.NewTimer(iv)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		if idle := s.sinceRecv(); idle < iv {
			t.Reset(iv - idle)
			continue
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
		switch {
		case err == nil:
		case errors.Is(err, ErrTimeout):
			s.log.Error("smpp: link dead: enquire_link unanswered, closing", logKeyTimeout, s.opts.EnquireLinkTimeout.String())
			s.fail(fmt.Errorf("%w: no enquire_link_resp within %v", ErrLinkDead, s.opts.EnquireLinkTimeout))
			return
		case errors.Is(err, ErrClosed):
			return
		default:
			// An error status or generic_nack still proves the peer is
			// alive.
			s.log.Debug("smpp: enquire_link answered with an error", logKeyErr, err.Error())
		}
		t.Reset(iv)
	}
}

// sinceRecv returns the time since the last PDU was received (or since the
// session was created).
func (s *Session) sinceRecv() time.Duration {
	return time.Since(s.epoch) - time.Duration(s.lastRecv.Load())
}

// gate counts in-flight deliveries and lets Unbind wait for zero.
type gate struct {
	mu   sync.Mutex
	n    int
	zero chan struct{}
}

func (g *gate) add() {
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
}

func (g *gate) done() {
	g.mu.Lock()
	g.n--
	if g.n == 0 && g.zero != nil {
		close(g.zero)
		g.zero = nil
	}
	g.mu.Unlock()
}

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	if g.n == 0 {
		g.mu.Unlock()
		return nil
	}
	if g.zero == nil {
		g.zero = make(chan struct{})
	}
	ch := g.zero
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
