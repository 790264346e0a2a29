package smpp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
)

// Client defaults, on top of the SessionOptions ones.
const (
	DefaultBindTimeout  = 10 * time.Second
	DefaultBackoffBase  = time.Second
	DefaultBackoffCap   = 60 * time.Second
	DefaultStableAfter  = 30 * time.Second
	DefaultThrottleBase = time.Second
	DefaultThrottleCap  = 30 * time.Second
)

// Dialer opens connections; *net.Dialer implements it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// ClientOptions configures a Client. Addr and SystemID are required; every
// zero field takes the default named in its comment.
type ClientOptions struct {
	// Addr is the SMSC's host:port.
	Addr string
	// TLS, when set, wraps the connection in TLS; an empty ServerName is
	// taken from Addr.
	TLS *tls.Config
	// Dialer opens the TCP connection. Default &net.Dialer{}.
	Dialer Dialer

	// Bind parameters (SMPP v3.4 §4.1.1). Password is never logged.
	SystemID         string
	Password         string
	SystemType       string
	InterfaceVersion uint8 // default 0x34
	AddrTON          uint8
	AddrNPI          uint8
	AddressRange     string
	// Mode is the bind type. Default Transceiver.
	Mode BindMode

	// Session settings; see SessionOptions.
	Window              int
	ResponseTimeout     time.Duration
	MaxTimeouts         int
	EnquireLinkInterval time.Duration
	EnquireLinkTimeout  time.Duration
	WriteTimeout        time.Duration
	UnbindTimeout       time.Duration
	MaxPDULength        int
	Workers             int
	QueueSize           int
	AckProbeDelay       time.Duration

	// BindTimeout bounds dialling, the TLS handshake and the bind. Default
	// 10s.
	BindTimeout time.Duration
	// Reconnection backoff: the n-th consecutive failure waits a random
	// time in [0, min(BackoffCap, BackoffBase·2^n)] (full jitter). The
	// count restarts only after a bind stayed up for StableAfter. A bind
	// refused for its credentials or as already bound (ESME_RINVPASWD,
	// ESME_RINVSYSID, ESME_RBINDFAIL, ESME_RALYBND) waits BackoffCap.
	// Defaults 1s, 60s and 30s.
	BackoffBase time.Duration
	BackoffCap  time.Duration
	StableAfter time.Duration

	// Rate is the submit_sm rate allowed per bind, per second (each part
	// of a long message counts); 0 means unlimited. Burst is the token
	// bucket size, default 1.
	Rate  float64
	Burst int
	// SharedLimiter, when set, is waited for too, after Rate, before each
	// submit_sm: a limit shared with other clients (all the binds to one
	// operator, say).
	SharedLimiter *rate.Limiter
	// NoBindWait makes Submit, SubmitText and Send fail at once with an
	// error matching ErrNotBound while no transmitter is bound, instead
	// of waiting for one: a caller with other binds sends elsewhere.
	NoBindWait bool
	// ThrottleBase and ThrottleCap bound the pause of all submits after
	// ESME_RTHROTTLED or ESME_RMSGQFUL: ThrottleBase first, doubling up to
	// ThrottleCap, back to ThrottleBase after a submit is accepted.
	// Defaults 1s and 30s.
	ThrottleBase time.Duration
	ThrottleCap  time.Duration

	// Text settings for SubmitText: encoding choice and packing (Text),
	// and how long messages are concatenated (Concat: 8- or 16-bit UDH,
	// sar_* TLVs, or one message_payload).
	Text   text.Options
	Concat text.Concat

	// Handler handles deliver_sm and data_sm; see Handler and
	// SessionOptions.Handler.
	Handler Handler
	// OnAlert receives alert_notification PDUs.
	OnAlert func(*pdu.AlertNotification)
	// OnEvent, when set, is called on every state change of the client,
	// from the Run goroutine; it must not block.
	OnEvent func(Event)
	// Logger receives the logs. Default slog.Default().
	Logger *slog.Logger
	// Metrics receives counters and timings. Default none.
	Metrics Metrics
}

// ClientState is the state of a Client.
type ClientState int32

// Client states.
const (
	ClientIdle       ClientState = iota // Run not called yet
	ClientConnecting                    // dialling and binding
	ClientBound                         // bound; submits flow
	ClientWaiting                       // disconnected, waiting to reconnect
	ClientStopped                       // Run returned
	ClientSuspended                     // unbound on request; no reconnection until Resume
)

// String returns the state's name.
func (st ClientState) String() string {
	switch st {
	case ClientIdle:
		return "idle"
	case ClientConnecting:
		return "connecting"
	case ClientBound:
		return "bound"
	case ClientWaiting:
		return "waiting"
	case ClientStopped:
		return "stopped"
	case ClientSuspended:
		return "suspended"
	}
	return fmt.Sprintf("ClientState(%d)", int32(st))
}

// Event describes a state change of a Client.
type Event struct {
	State ClientState
	// Err is why the connection attempt failed or the bind was lost
	// (ClientWaiting), nil otherwise.
	Err error
	// Retry is the wait before the next attempt (ClientWaiting).
	Retry time.Duration
}

// Client keeps an SMPP bind up: Run dials, binds, re-dials with backoff when
// the connection is lost, and unbinds when its ctx ends. Submit and
// SubmitText send through the current transmitter (or transceiver)
// session, waiting for one when there is none. Deliveries go to the
// Handler. Suspend takes the bind down on request until Resume. Methods are
// safe for concurrent use.
type Client struct {
	opts    ClientOptions
	log     *slog.Logger
	m       Metrics
	limiter *rate.Limiter // nil: unlimited
	jitter  func(n int64) int64
	ref     atomic.Uint32 // concatenation reference numbers

	mu      sync.Mutex
	state   ClientState
	running bool
	tx      *txBind       // current transmitter, nil when none
	ready   chan struct{} // closed when tx is set; replaced when it is cleared
	stopped chan struct{} // closed when Run returns
	// suspended is set by Suspend and cleared by Resume. suspendCh is
	// closed by Suspend (and replaced by Resume); resumeCh is closed by
	// Resume (and replaced by Suspend).
	suspended bool
	suspendCh chan struct{}
	resumeCh  chan struct{}

	stats clientCounters
}

type clientCounters struct {
	dials, binds, bindFailures, reconnects         atomic.Uint64
	submitted, failed, throttled, unknown, retried atomic.Uint64
}

// NewClient checks opts and returns a Client. It does no I/O and starts
// nothing: call Run.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.Addr == "" {
		return nil, errors.New("smpp: client: Addr is required")
	}
	if opts.SystemID == "" {
		return nil, errors.New("smpp: client: SystemID is required")
	}
	if opts.Mode > Receiver {
		return nil, fmt.Errorf("smpp: client: unknown bind mode %d", opts.Mode)
	}
	if opts.Rate < 0 {
		return nil, fmt.Errorf("smpp: client: negative Rate %v", opts.Rate)
	}
	if err := opts.Text.Validate(); err != nil {
		return nil, fmt.Errorf("smpp: client: %w", err)
	}
	if opts.Dialer == nil {
		opts.Dialer = &net.Dialer{}
	}
	if opts.BindTimeout <= 0 {
		opts.BindTimeout = DefaultBindTimeout
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = DefaultBackoffBase
	}
	if opts.BackoffCap <= 0 {
		opts.BackoffCap = DefaultBackoffCap
	}
	if opts.BackoffCap < opts.BackoffBase {
		opts.BackoffCap = opts.BackoffBase
	}
	if opts.StableAfter <= 0 {
		opts.StableAfter = DefaultStableAfter
	}
	if opts.ThrottleBase <= 0 {
		opts.ThrottleBase = DefaultThrottleBase
	}
	if opts.ThrottleCap <= 0 {
		opts.ThrottleCap = DefaultThrottleCap
	}
	if opts.ThrottleCap < opts.ThrottleBase {
		opts.ThrottleCap = opts.ThrottleBase
	}
	if opts.UnbindTimeout <= 0 {
		opts.UnbindTimeout = DefaultUnbindTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = nopMetrics{}
	}
	c := &Client{
		opts:    opts,
		log:     opts.Logger.With(logKeyComponent, componentName, logKeyAddr, opts.Addr),
		m:       opts.Metrics,
		jitter:  rand.Int64N,
		ready:   make(chan struct{}),
		stopped: make(chan struct{}),
	}
	c.suspendCh, c.resumeCh = make(chan struct{}), make(chan struct{})
	if opts.Rate > 0 {
		burst := max(opts.Burst, 1)
		c.limiter = rate.NewLimiter(rate.Limit(opts.Rate), burst)
	}
	return c, nil
}

// State returns the client's state.
func (c *Client) State() ClientState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Bound reports whether the client is bound.
func (c *Client) Bound() bool { return c.State() == ClientBound }

// Pending returns how many requests of the current transmitter session
// wait for their response (the window in use); 0 when none is bound.
func (c *Client) Pending() int {
	c.mu.Lock()
	b := c.tx
	c.mu.Unlock()
	if b == nil {
		return 0
	}
	b.sess.mu.Lock()
	defer b.sess.mu.Unlock()
	return len(b.sess.pending)
}

// Throttled reports whether submits wait now: paused after the SMSC
// answered ESME_RTHROTTLED or ESME_RMSGQFUL (or with throttled submits
// still to send again), or held by the Rate limit.
func (c *Client) Throttled() bool {
	if c.limiter != nil && c.limiter.Tokens() < 1 {
		return true
	}
	c.mu.Lock()
	b := c.tx
	c.mu.Unlock()
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.retries > 0 || time.Now().Before(b.until)
}

// Suspend takes the bind down on request and keeps it down: Run unbinds
// gracefully (outstanding responses are awaited, bounded by
// UnbindTimeout), then makes no connection attempt until Resume. From the
// moment Suspend returns, Submit, SubmitText and Send fail at once with an
// error matching ErrSuspended instead of waiting for a bind; submits
// already written still get their responses. Suspend does not wait for the
// unbind to finish: State reports ClientSuspended once it has. Suspending
// a suspended client does nothing; after Run has returned Suspend fails
// with ErrClosed. Suspend may be called before Run, which then starts
// suspended.
func (c *Client) Suspend() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.stopped:
		return fmt.Errorf("smpp: suspend: client stopped: %w", ErrClosed)
	default:
	}
	if c.suspended {
		return nil
	}
	c.suspended = true
	close(c.suspendCh)
	c.resumeCh = make(chan struct{})
	c.log.Info("smpp: bind suspended on request", logKeySystemID, c.opts.SystemID)
	return nil
}

// Resume ends a suspension: Run dials and binds again at once, with a
// fresh backoff. Resuming a client that is not suspended does nothing;
// after Run has returned Resume fails with ErrClosed.
func (c *Client) Resume() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.stopped:
		return fmt.Errorf("smpp: resume: client stopped: %w", ErrClosed)
	default:
	}
	if !c.suspended {
		return nil
	}
	c.suspended = false
	close(c.resumeCh)
	c.suspendCh = make(chan struct{})
	c.log.Info("smpp: bind resumed on request", logKeySystemID, c.opts.SystemID)
	return nil
}

// Suspended reports whether the client is suspended (Suspend was called
// and Resume not since), including while the unbind is still under way.
func (c *Client) Suspended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.suspended
}

// suspension returns the suspension channels: suspend is closed when the
// client is (or becomes) suspended, resume when it is (or becomes) not.
func (c *Client) suspension() (suspended bool, suspend, resume <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.suspended, c.suspendCh, c.resumeCh
}

// Run keeps the bind up until ctx ends, then unbinds gracefully (waiting
// for outstanding responses, bounded by UnbindTimeout) and returns nil.
// It may be called once; after it returns, Submit fails with ErrClosed.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return errors.New("smpp: client: Run called twice")
	}
	c.running = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.tx = nil
		c.state = ClientStopped
		close(c.stopped)
		c.mu.Unlock()
		c.event(Event{State: ClientStopped})
	}()

	attempt := 0
	for {
		suspended, suspendCh, resumeCh := c.suspension()
		if suspended {
			c.setState(ClientSuspended)
			c.event(Event{State: ClientSuspended})
			select {
			case <-resumeCh:
				attempt = 0
				continue
			case <-ctx.Done():
				return nil
			}
		}
		c.setState(ClientConnecting)
		c.event(Event{State: ClientConnecting})
		up, err := c.connectUnlessSuspended(ctx, suspendCh)
		if ctx.Err() != nil {
			return nil
		}
		if isClosed(suspendCh) {
			continue // suspended: no backoff, no reconnection
		}
		if up >= c.opts.StableAfter {
			attempt = 0
		}
		delay, refused := c.backoff(attempt, err)
		attempt++
		c.stats.reconnects.Add(1)
		c.m.Reconnect()
		if refused {
			c.log.Error("smpp: bind refused: check system_id, password and that no other bind is active; retrying after the maximum backoff",
				logKeyErr, err.Error(), logKeyDelay, delay.String(), logKeySystemID, c.opts.SystemID)
		} else {
			c.log.Warn("smpp: disconnected, reconnecting", logKeyErr, errString(err), logKeyDelay, delay.String(), logKeyAttempt, attempt)
		}
		c.setState(ClientWaiting)
		c.event(Event{State: ClientWaiting, Err: err, Retry: delay})
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-suspendCh:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// connectUnlessSuspended runs connect under a context that also ends when
// suspend is closed, so a suspension unbinds gracefully like a shutdown.
func (c *Client) connectUnlessSuspended(ctx context.Context, suspend <-chan struct{}) (time.Duration, error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-suspend:
			cancel()
		case <-cctx.Done():
		}
	}()
	return c.connect(cctx)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// backoff returns the wait before the next dial after the attempt-th
// consecutive failure, and whether the failure was a refused bind.
func (c *Client) backoff(attempt int, err error) (time.Duration, bool) {
	var st pdu.Status
	if errors.As(err, &st) {
		switch st {
		case pdu.StatusInvPassword, pdu.StatusInvSysID, pdu.StatusBindFail, pdu.StatusAlreadyBound:
			return c.opts.BackoffCap, true
		}
	}
	d := c.opts.BackoffBase
	for i := 0; i < attempt && d < c.opts.BackoffCap; i++ {
		d *= 2
	}
	d = min(d, c.opts.BackoffCap)
	return time.Duration(c.jitter(int64(d) + 1)), false
}

func (c *Client) setState(st ClientState) {
	c.mu.Lock()
	c.state = st
	c.mu.Unlock()
}

func (c *Client) event(e Event) {
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(e)
	}
}

// connect dials and binds, serves until the bind is lost or ctx ends, and
// returns how long the bind stayed up and why it ended.
func (c *Client) connect(ctx context.Context) (time.Duration, error) {
	bctx, cancel := context.WithTimeout(ctx, c.opts.BindTimeout)
	var sessions []*Session
	var tx *Session
	var err error
	switch c.opts.Mode {
	case TransmitterReceiver:
		tx, err = c.open(bctx, Transmitter)
		if err == nil {
			var rx *Session
			rx, err = c.open(bctx, Receiver)
			if err != nil {
				c.unbindAll(ctx, tx)
			}
			sessions = []*Session{tx, rx}
		}
	case Receiver:
		var rx *Session
		rx, err = c.open(bctx, Receiver)
		sessions = []*Session{rx}
	default:
		tx, err = c.open(bctx, c.opts.Mode)
		sessions = []*Session{tx}
	}
	cancel()
	if err != nil {
		return 0, err
	}

	var b *txBind
	if tx != nil {
		b = &txBind{c: c, sess: tx, changed: make(chan struct{})}
	}
	c.mu.Lock()
	c.state = ClientBound
	if b != nil {
		c.tx = b
		close(c.ready)
	}
	c.mu.Unlock()
	c.event(Event{State: ClientBound})
	start := time.Now()

	// Wait for ctx or the first session to end.
	ended := make(chan *Session, len(sessions))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-s.Done():
				ended <- s
			case <-stop:
			}
		}()
	}
	var cause error
	select {
	case <-ctx.Done():
	case s := <-ended:
		cause = s.Err()
	}
	close(stop)
	wg.Wait()
	up := time.Since(start)
	c.retire(b)
	c.unbindAll(ctx, sessions...)
	return up, cause
}

// open dials and binds one session.
func (c *Client) open(ctx context.Context, mode BindMode) (*Session, error) {
	c.stats.dials.Add(1)
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	s := NewSession(conn, c.sessionOptions())
	if _, err := s.Bind(ctx, mode, c.bindParams()); err != nil {
		s.Close()
		c.stats.bindFailures.Add(1)
		return nil, fmt.Errorf("smpp: bind to %s: %w", c.opts.Addr, err)
	}
	c.stats.binds.Add(1)
	return s, nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	conn, err := c.opts.Dialer.DialContext(ctx, "tcp", c.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("smpp: dial %s: %w", c.opts.Addr, err)
	}
	if c.opts.TLS == nil {
		return conn, nil
	}
	cfg := c.opts.TLS.Clone()
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(c.opts.Addr); err == nil {
			cfg.ServerName = host
		}
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("smpp: tls handshake with %s: %w", c.opts.Addr, err)
	}
	return tc, nil
}

// unbindAll unbinds the sessions that are still bound, concurrently, and
// closes them all. The unbind outlives ctx (it is bounded by
// UnbindTimeout).
func (c *Client) unbindAll(ctx context.Context, sessions ...*Session) {
	uctx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range sessions {
		if s == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.State().Bound() {
				if err := s.Unbind(uctx); err != nil {
					c.log.Warn("smpp: unbind failed", logKeyErr, err.Error())
				}
			}
			s.Close()
		}()
	}
	wg.Wait()
}

func (c *Client) sessionOptions() SessionOptions {
	o := c.opts
	return SessionOptions{
		Window:              o.Window,
		ResponseTimeout:     o.ResponseTimeout,
		MaxTimeouts:         o.MaxTimeouts,
		EnquireLinkInterval: o.EnquireLinkInterval,
		EnquireLinkTimeout:  o.EnquireLinkTimeout,
		WriteTimeout:        o.WriteTimeout,
		UnbindTimeout:       o.UnbindTimeout,
		MaxPDULength:        o.MaxPDULength,
		Workers:             o.Workers,
		QueueSize:           o.QueueSize,
		AckProbeDelay:       o.AckProbeDelay,
		Handler:             o.Handler,
		OnAlert:             o.OnAlert,
		Logger:              o.Logger,
		Metrics:             o.Metrics,
	}
}

func (c *Client) bindParams() BindParams {
	o := c.opts
	return BindParams{
		SystemID:         o.SystemID,
		Password:         o.Password,
		SystemType:       o.SystemType,
		InterfaceVersion: o.InterfaceVersion,
		AddrTON:          o.AddrTON,
		AddrNPI:          o.AddrNPI,
		AddressRange:     o.AddressRange,
	}
}

// waitForBindKey marks a context of WaitForBind.
type waitForBindKey struct{}

// WaitForBind returns ctx under which Submit, SubmitText and Send wait for
// a transmitter bind even when ClientOptions.NoBindWait is set: for a
// message that can only leave through this client, such as the next
// screen of a USSD session that came in on it.
func WaitForBind(ctx context.Context) context.Context {
	return context.WithValue(ctx, waitForBindKey{}, true)
}

// transmitter returns the current transmitter bind, waiting for one.
func (c *Client) transmitter(ctx context.Context) (*txBind, error) {
	for {
		c.mu.Lock()
		select {
		case <-c.stopped:
			c.mu.Unlock()
			return nil, fmt.Errorf("smpp: client stopped: %w", ErrClosed)
		default:
		}
		if c.suspended {
			c.mu.Unlock()
			return nil, fmt.Errorf("smpp: %s: %w", c.opts.SystemID, ErrSuspended)
		}
		if b := c.tx; b != nil {
			select {
			case <-b.sess.Done():
				c.retireLocked(b)
			default:
				c.mu.Unlock()
				return b, nil
			}
		}
		ready, suspend := c.ready, c.suspendCh
		c.mu.Unlock()
		if c.opts.NoBindWait && ctx.Value(waitForBindKey{}) == nil {
			return nil, fmt.Errorf("smpp: %s: %w", c.opts.SystemID, ErrNotBound)
		}
		select {
		case <-ready:
		case <-suspend:
		case <-c.stopped:
		case <-ctx.Done():
			return nil, fmt.Errorf("smpp: waiting for a bind: %w", ctx.Err())
		}
	}
}

// retire stops handing out b to new submits.
func (c *Client) retire(b *txBind) {
	if b == nil {
		return
	}
	c.mu.Lock()
	c.retireLocked(b)
	c.mu.Unlock()
}

func (c *Client) retireLocked(b *txBind) {
	if c.tx == b {
		c.tx = nil
		c.ready = make(chan struct{})
	}
}

// ClientStats are counters of a client since it was created.
type ClientStats struct {
	Dials        uint64 // connection attempts
	Binds        uint64 // successful binds
	BindFailures uint64 // binds refused or timed out
	Reconnects   uint64 // reconnections scheduled
	Submitted    uint64 // submit_sm accepted (ESME_ROK)
	Failed       uint64 // submit_sm refused or failed, outcome known
	Throttled    uint64 // ESME_RTHROTTLED / ESME_RMSGQFUL responses (retried)
	Unknown      uint64 // submit_sm whose outcome is unknown
	Retried      uint64 // submit_sm sent again after a throttle or a lost bind before sending
	// Session holds the counters of the current transmitter session, zero
	// when there is none.
	Session SessionStats
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() ClientStats {
	st := ClientStats{
		Dials:        c.stats.dials.Load(),
		Binds:        c.stats.binds.Load(),
		BindFailures: c.stats.bindFailures.Load(),
		Reconnects:   c.stats.reconnects.Load(),
		Submitted:    c.stats.submitted.Load(),
		Failed:       c.stats.failed.Load(),
		Throttled:    c.stats.throttled.Load(),
		Unknown:      c.stats.unknown.Load(),
		Retried:      c.stats.retried.Load(),
	}
	c.mu.Lock()
	b := c.tx
	c.mu.Unlock()
	if b != nil {
		st.Session = b.sess.Stats()
	}
	return st
}
