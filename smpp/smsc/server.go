package smsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
)

// Defaults used when the corresponding Server field is zero.
const (
	DefaultSystemID           = "smsc"
	DefaultInitTimeout        = 30 * time.Second
	DefaultWriteTimeout       = 10 * time.Second
	DefaultResponseTimeout    = 10 * time.Second
	DefaultEnquireLinkTimeout = 10 * time.Second
	DefaultMaxRecords         = 10000
	DefaultMaxQueuedReceipts  = 1000
)

// InterfaceVersion is the sc_interface_version the server reports in every
// successful bind_*_resp (SMPP 3.4).
const InterfaceVersion = 0x34

// closeReportAfter is how long Close waits before it logs the connections
// that keep it blocked (as net/http/httptest does).
const closeReportAfter = 5 * time.Second

// Errors returned by the injection methods. Timeouts and cancellations are
// reported as the context's cause, wrapped.
var (
	// ErrNotBound means no connection is bound in a mode that can take the
	// PDU (a receiver or transceiver for deliver_sm).
	ErrNotBound = errors.New("smsc: no suitable bound connection")
	// ErrConnClosed means the connection closed before the response came.
	ErrConnClosed = errors.New("smsc: connection closed")
	// ErrServerClosed is returned after Close.
	ErrServerClosed = errors.New("smsc: server closed")
	// ErrTimeout means the ESME did not answer within ResponseTimeout.
	ErrTimeout = errors.New("smsc: response timeout")
)

// Server is an SMPP 3.4 SMSC: the gateway's built-in simulator, the SMSC
// of `smsgw load`, and (through smpptest) of tests. The zero value is
// ready to configure: set the exported fields, then call Start; the fields must not
// be changed after Start (the server works on a copy). Faults are changed at
// run time with SetFaults, UpdateFaults, FailNext and ThrottleNext. All
// methods are safe for concurrent use.
type Server struct {
	// Listener, when set before Start, is the listener the server accepts
	// on and owns (Close closes it). When nil, Start listens on a free
	// loopback port. After Start it holds the listener in use.
	Listener net.Listener

	// SystemID is the SMSC name sent in bind_*_resp. Default
	// DefaultSystemID.
	SystemID string

	// Credentials maps a system_id to its password. When empty, every bind
	// is accepted. An unknown system_id is refused with ESME_RINVSYSID, a
	// wrong password with ESME_RINVPASWD.
	Credentials map[string]string

	// Logger receives lifecycle and protocol events. It never receives
	// message text or passwords. Default: discard.
	Logger *slog.Logger

	// MaxPDULength caps command_length of received PDUs; a larger or
	// smaller than 16 value is answered with generic_nack ESME_RINVCMDLEN
	// and the connection is closed. Default pdu.DefaultMaxLength.
	MaxPDULength int

	// InitTimeout closes a connection that has not bound within it
	// (session_init_timer, §7.2). Default DefaultInitTimeout; negative
	// disables it.
	InitTimeout time.Duration

	// EnquireLinkInterval, when positive, makes the server send
	// enquire_link on a bound connection that has been silent for that
	// long; a connection that does not answer within EnquireLinkTimeout
	// (default DefaultEnquireLinkTimeout) is closed.
	EnquireLinkInterval time.Duration
	EnquireLinkTimeout  time.Duration

	// WriteTimeout bounds every write to a connection; a write that times
	// out closes the connection. Default DefaultWriteTimeout.
	WriteTimeout time.Duration

	// ResponseTimeout bounds the wait for the ESME's response to a PDU the
	// server sends (Deliver, Send, receipts), on top of the caller's
	// context. Default DefaultResponseTimeout.
	ResponseTimeout time.Duration

	// MessageID returns the message id for the n-th accepted message
	// (n counts from 1 over the server's lifetime; Reset does not restart
	// it). Default HexID; DecimalID is the other common format. It must
	// return distinct non-empty ids of at most 64 characters.
	MessageID func(n uint64) string

	// ReceiptID maps a message id to the id written in its delivery
	// receipt (text and receipted_message_id), to mimic SMSCs whose
	// receipts use another id format (e.g. HexToDecimal). Default: the id
	// unchanged.
	ReceiptID func(messageID string) string

	// ReceiptDelay is the time between accepting a message and its final
	// state, when the automatic receipt is sent; query_sm reports ENROUTE
	// until then. Zero sends the receipt right after the submit response,
	// on the same write path, when the connection can receive it.
	ReceiptDelay time.Duration

	// ReceiptState is the final state of accepted messages and of their
	// automatic receipts. Default StateDelivered.
	ReceiptState MessageState

	// MaxRecords caps the recorded submissions and generic_nacks (oldest
	// dropped first) so that long runs use bounded memory. Default
	// DefaultMaxRecords; negative disables recording (query_sm and
	// cancel_sm then find nothing).
	MaxRecords int

	// MaxQueuedReceipts caps, per system_id, the receipts kept while no
	// receiver of that system_id is bound; they are delivered when one
	// binds. Default DefaultMaxQueuedReceipts; negative disables queueing
	// (such receipts are dropped and logged).
	MaxQueuedReceipts int

	// Text holds the text settings used to encode DeliverText, DeliverUSSD
	// and receipt text and to decode Submission.Text. The zero value is
	// the usual setup: GSM 03.38 for data_coding 0, unpacked.
	Text text.Options

	// Now returns the current time for receipts and records. Default
	// time.Now.
	Now func() time.Time

	// OnSubmit, when set, is called for every recorded submission after
	// its response has been queued. It runs on the connection's reader
	// goroutine: it must not block for long.
	OnSubmit func(Submission)

	// Handler, when set, takes over request handling: it is called on the
	// connection's reader goroutine for every request the ESME sends
	// (binds, enquire_link and unbind included; never for responses) and
	// returns the response to write, or nil to write none. ctx is the
	// connection's lifetime. A Handler may delegate to HandleDefault. The
	// session layer applies the outcome whoever produced it: a successful
	// bind_*_resp to a bind binds the connection, an unbind closes it after
	// the response, and the response faults (delay, drops, error body,
	// write mode) apply. A panic is answered with ESME_RSYSERR.
	Handler func(ctx context.Context, c *Conn, req pdu.PDU) pdu.PDU

	cfg    config
	log    *slog.Logger
	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed chan struct{} // closed when Close has finished

	// mu guards the fields below. Lock order: mu may be held while taking
	// a Conn's mu, never the reverse; recorder and fault locks are leaves.
	mu        sync.Mutex
	started   bool
	closing   bool
	closeOnce sync.Once
	conns     []*Conn
	connSeq   uint64
	rr        uint64
	changed   chan struct{} // closed and replaced on every bind state change

	idSeq  atomic.Uint64 // message ids handed out
	refSeq atomic.Uint32 // concatenation references for DeliverText
	rec    recorder
	faults faultState
}

// config is the resolved copy of the exported fields, read after Start.
type config struct {
	systemID          string
	credentials       map[string]string
	maxPDU            int
	initTimeout       time.Duration
	enquireInterval   time.Duration
	enquireTimeout    time.Duration
	writeTimeout      time.Duration
	responseTimeout   time.Duration
	messageID         func(uint64) string
	receiptID         func(string) string
	receiptDelay      time.Duration
	receiptState      MessageState
	maxQueuedReceipts int
	text              text.Options
	now               func() time.Time
	onSubmit          func(Submission)
	handler           func(context.Context, *Conn, pdu.PDU) pdu.PDU
}

// Start starts accepting connections on s.Listener, or on a new listener
// on a free loopback port when it is nil. It panics if the server was
// already started or closed, or if no loopback port can be had (as
// net/http/httptest does); with a Listener set, as production code sets
// it, it cannot fail otherwise.
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		panic("smsc: Server already started")
	}
	if s.closing {
		panic("smsc: Server already closed")
	}
	if s.Listener == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			if ln, err = net.Listen("tcp6", "[::1]:0"); err != nil {
				panic(fmt.Sprintf("smsc: failed to listen on a port: %v", err))
			}
		}
		s.Listener = ln
	}
	s.cfg = s.resolve()
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s.log = logger.With(logKeyComponent, "smsc")
	s.rec.init(s.MaxRecords)
	s.changed = make(chan struct{})
	s.closed = make(chan struct{})
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.started = true
	ln := s.Listener
	s.wg.Go(func() { s.accept(ln) })
	s.log.Info("smsc listening", "addr", ln.Addr().String())
}

// resolve copies the exported configuration, filling in defaults.
func (s *Server) resolve() config {
	c := config{
		systemID:          s.SystemID,
		credentials:       make(map[string]string, len(s.Credentials)),
		maxPDU:            s.MaxPDULength,
		initTimeout:       s.InitTimeout,
		enquireInterval:   s.EnquireLinkInterval,
		enquireTimeout:    s.EnquireLinkTimeout,
		writeTimeout:      s.WriteTimeout,
		responseTimeout:   s.ResponseTimeout,
		messageID:         s.MessageID,
		receiptID:         s.ReceiptID,
		receiptDelay:      s.ReceiptDelay,
		receiptState:      s.ReceiptState,
		maxQueuedReceipts: s.MaxQueuedReceipts,
		text:              s.Text,
		now:               s.Now,
		onSubmit:          s.OnSubmit,
		handler:           s.Handler,
	}
	for k, v := range s.Credentials {
		c.credentials[k] = v
	}
	if c.systemID == "" {
		c.systemID = DefaultSystemID
	}
	if c.maxPDU <= 0 {
		c.maxPDU = pdu.DefaultMaxLength
	}
	if c.initTimeout == 0 {
		c.initTimeout = DefaultInitTimeout
	}
	if c.enquireTimeout <= 0 {
		c.enquireTimeout = DefaultEnquireLinkTimeout
	}
	if c.writeTimeout <= 0 {
		c.writeTimeout = DefaultWriteTimeout
	}
	if c.responseTimeout <= 0 {
		c.responseTimeout = DefaultResponseTimeout
	}
	if c.messageID == nil {
		c.messageID = HexID
	}
	if c.receiptID == nil {
		c.receiptID = func(id string) string { return id }
	}
	if c.receiptDelay < 0 {
		c.receiptDelay = 0
	}
	if c.receiptState == 0 {
		c.receiptState = StateDelivered
	}
	if c.maxQueuedReceipts == 0 {
		c.maxQueuedReceipts = DefaultMaxQueuedReceipts
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// HexID formats n as at least 8 upper-case hexadecimal digits, e.g.
// "0000002A". It is the default MessageID.
func HexID(n uint64) string { return fmt.Sprintf("%08X", n) }

// DecimalID formats n as at least 10 decimal digits, e.g. "0000000042".
func DecimalID(n uint64) string { return fmt.Sprintf("%010d", n) }

// Addr returns the address the server listens on, e.g. "127.0.0.1:40123",
// or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return ""
	}
	return s.Listener.Addr().String()
}

// Close stops the listener, closes every connection without unbind and
// waits for all the server's goroutines (connection readers, timers,
// delayed responses, Handler and OnSubmit calls) to return. If that takes
// longer than 5 seconds it logs the connections still busy, then keeps
// waiting. Injection calls in progress fail with ErrConnClosed. Close is
// idempotent; concurrent calls all wait. It must not be called from a
// Handler or OnSubmit, which Close waits for.
func (s *Server) Close() {
	s.closeOnce.Do(s.doClose)
	s.mu.Lock()
	done := s.closed
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (s *Server) doClose() {
	s.mu.Lock()
	s.closing = true
	started := s.started
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	if !started {
		if s.Listener != nil {
			s.Listener.Close()
		}
		return
	}
	defer close(s.closed)
	s.cancel()
	s.Listener.Close()
	for _, c := range conns {
		c.shutdown("server closed")
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(closeReportAfter)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		logger := s.Logger
		if logger == nil {
			logger = slog.Default()
		}
		s.mu.Lock()
		busy := make([]string, 0, len(s.conns))
		for _, c := range s.conns {
			busy = append(busy, fmt.Sprintf("conn %d %s (%s)", c.id, c.nc.RemoteAddr(), c.SystemID()))
		}
		s.mu.Unlock()
		logger.Error("smsc: Server blocked in Close after 5 seconds, waiting for goroutines",
			"connections", busy)
		<-done
	}
	s.log.Info("smsc closed")
}

// spawn runs f in a goroutine Close waits for; it reports false (and does
// not run f) before Start and once Close has begun.
func (s *Server) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.closing {
		return false
	}
	s.wg.Go(f)
	return true
}

// accept is the accept loop; it returns when the listener is closed.
func (s *Server) accept(ln net.Listener) {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed", logKeyErr, err, "retry_in", delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		delay = 0
		s.addConn(nc)
	}
}

// addConn registers a new connection and starts its goroutines.
func (s *Server) addConn(nc net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		nc.Close()
		return
	}
	s.connSeq++
	c := newConn(s, nc, s.connSeq)
	s.conns = append(s.conns, c)
	s.wg.Go(c.serve)
	if s.cfg.initTimeout > 0 || s.cfg.enquireInterval > 0 {
		s.wg.Go(c.keepalive)
	}
	c.log.Info("connection accepted")
}

// removeConn forgets a closed connection.
func (s *Server) removeConn(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
	}
	s.notifyLocked()
}

// notify wakes WaitBound callers after a bind state change.
func (s *Server) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyLocked()
}

func (s *Server) notifyLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// Conns returns the open connections in accept order.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.conns)
}

// WaitBound waits until a connection is bound with the given system_id
// ("" matches any) and returns it. It fails with the context's error or
// ErrServerClosed.
func (s *Server) WaitBound(ctx context.Context, systemID string) (*Conn, error) {
	for {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			return nil, ErrServerClosed
		}
		for _, c := range s.conns {
			if mode, id := c.state(); mode != BindNone && (systemID == "" || id == systemID) {
				s.mu.Unlock()
				return c, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if ch == nil {
			return nil, fmt.Errorf("smsc: wait bound: server not started")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("smsc: wait bound %q: %w", systemID, context.Cause(ctx))
		}
	}
}

// pick chooses a bound connection round-robin among those bound with
// systemID ("" = any) and, when receiver is set, able to receive
// deliver_sm (receiver or transceiver).
func (s *Server) pick(systemID string, receiver bool) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, ErrServerClosed
	}
	var cands []*Conn
	for _, c := range s.conns {
		mode, id := c.state()
		if mode == BindNone || (receiver && !mode.CanReceive()) {
			continue
		}
		if systemID != "" && id != systemID {
			continue
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		if systemID != "" {
			return nil, fmt.Errorf("%w (system_id %q)", ErrNotBound, systemID)
		}
		return nil, ErrNotBound
	}
	s.rr++
	return cands[s.rr%uint64(len(cands))], nil
}

// DropConnections closes every connection at once, without unbind, as a
// crashing SMSC or a network failure would. It returns how many it closed.
func (s *Server) DropConnections() int {
	conns := s.Conns()
	for _, c := range conns {
		c.shutdown("dropped by DropConnections")
	}
	return len(conns)
}

// Deliver sends d to a bound receiver or transceiver (round-robin), waits
// for the deliver_sm_resp and returns its command_status (a generic_nack's
// status if the ESME answered with one). See Conn.Deliver.
func (s *Server) Deliver(ctx context.Context, d *pdu.DeliverSM) (pdu.Status, error) {
	return s.DeliverTo(ctx, "", d)
}

// DeliverTo is Deliver restricted to connections bound with systemID.
func (s *Server) DeliverTo(ctx context.Context, systemID string, d *pdu.DeliverSM) (pdu.Status, error) {
	c, err := s.pick(systemID, true)
	if err != nil {
		return 0, err
	}
	return c.Deliver(ctx, d)
}

// DeliverLosingAck is Deliver over a connection that fails as the ESME's
// deliver_sm_resp arrives; see Conn.DeliverLosingAck.
func (s *Server) DeliverLosingAck(ctx context.Context, d *pdu.DeliverSM) (pdu.Status, error) {
	c, err := s.pick("", true)
	if err != nil {
		return 0, err
	}
	return c.DeliverLosingAck(ctx, d)
}

// Send writes p to a bound connection (round-robin, any bind mode) and,
// when p is a request that has a response, waits for it; see Conn.Send.
func (s *Server) Send(ctx context.Context, p pdu.PDU) (pdu.PDU, error) {
	c, err := s.pick("", false)
	if err != nil {
		return nil, err
	}
	return c.Send(ctx, p)
}

// SendRaw writes b unchanged to a bound connection (round-robin): garbage,
// a truncated PDU, a PDU with a forged length. See Conn.SendRaw.
func (s *Server) SendRaw(ctx context.Context, b []byte) error {
	c, err := s.pick("", false)
	if err != nil {
		return err
	}
	return c.SendRaw(ctx, b)
}

// Unbind sends unbind to every bound connection, waits for each
// unbind_resp and closes the connections, as an SMSC going down for
// maintenance does. It returns the errors joined.
func (s *Server) Unbind(ctx context.Context) error {
	var errs []error
	for _, c := range s.Conns() {
		if mode, _ := c.state(); mode == BindNone {
			continue
		}
		if err := c.Unbind(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// now returns the configured clock's time.
func (s *Server) now() time.Time { return s.cfg.now() }
