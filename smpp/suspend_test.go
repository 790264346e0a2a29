package smpp_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
)

// countingDialer counts connection attempts.
type countingDialer struct {
	n atomic.Int64
	d net.Dialer
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.n.Add(1)
	return d.d.DialContext(ctx, network, addr)
}

// waitState reads events until one in state st arrives.
func waitState(t *testing.T, events <-chan smpp.Event, st smpp.ClientState) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-events:
			if e.State == st {
				return
			}
		case <-timeout:
			t.Fatalf("no %v event within 5s", st)
		}
	}
}

func TestClientSuspendResume(t *testing.T) {
	unbinds := make(chan struct{}, 10)
	srv := newServer(t, func(s *smpptest.Server) {
		s.Handler = func(ctx context.Context, c *smpptest.Conn, req pdu.PDU) pdu.PDU {
			if _, ok := req.(*pdu.Unbind); ok {
				unbinds <- struct{}{}
			}
			return s.HandleDefault(ctx, c, req)
		}
	})
	events := make(chan smpp.Event, 100)
	dialer := &countingDialer{}
	c := runClient(t, srv, smpp.ClientOptions{Dialer: dialer, OnEvent: func(e smpp.Event) { events <- e }})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, sm("1", "before")); err != nil {
		t.Fatal(err)
	}
	conn, err := srv.WaitBound(ctx, "")
	if err != nil {
		t.Fatal(err)
	}

	if err := c.Suspend(); err != nil {
		t.Fatalf("Suspend() = %v", err)
	}
	if !c.Suspended() {
		t.Error("Suspended() = false right after Suspend")
	}
	waitState(t, events, smpp.ClientSuspended)
	select {
	case <-unbinds:
	default:
		t.Error("the SMSC got no unbind: suspension was not graceful")
	}
	select {
	case <-conn.Done():
	case <-ctx.Done():
		t.Fatal("connection still open after the suspension")
	}
	if st := c.State(); st != smpp.ClientSuspended || c.Bound() {
		t.Errorf("State() = %v, Bound() = %v; want suspended, false", st, c.Bound())
	}

	// Submit fails fast, even with a long deadline.
	start := time.Now()
	_, err = c.Submit(ctx, sm("1", "while suspended"))
	if !errors.Is(err, smpp.ErrSuspended) {
		t.Fatalf("Submit() while suspended = %v, want ErrSuspended", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Submit() while suspended took %v, want an immediate failure", d)
	}
	if _, err := c.Send(ctx, &pdu.QuerySM{MessageID: "1"}); !errors.Is(err, smpp.ErrSuspended) {
		t.Errorf("Send() while suspended = %v, want ErrSuspended", err)
	}

	// No reconnection: the backoff is at most 50ms, so several attempts
	// would have happened in this time.
	dials := dialer.n.Load()
	time.Sleep(300 * time.Millisecond)
	if n := dialer.n.Load(); n != dials {
		t.Errorf("%d dials while suspended, want none", n-dials)
	}
	if n := len(srv.Conns()); n != 0 {
		t.Errorf("the SMSC has %d connections while suspended, want 0", n)
	}
	if err := c.Suspend(); err != nil {
		t.Errorf("second Suspend() = %v, want nil", err)
	}

	if err := c.Resume(); err != nil {
		t.Fatalf("Resume() = %v", err)
	}
	if c.Suspended() {
		t.Error("Suspended() = true after Resume")
	}
	waitState(t, events, smpp.ClientBound)
	if _, err := c.Submit(ctx, sm("1", "after")); err != nil {
		t.Fatalf("Submit() after Resume = %v", err)
	}
	if err := c.Resume(); err != nil {
		t.Errorf("second Resume() = %v, want nil", err)
	}
	if st := c.Stats(); st.Binds != 2 || st.Reconnects != 0 || st.Submitted != 2 {
		t.Errorf("Stats() = %+v, want Binds 2, Reconnects 0, Submitted 2", st)
	}
	if n := len(srv.Submitted()); n != 2 {
		t.Errorf("the SMSC recorded %d submissions, want 2", n)
	}
}

// A submit waiting for a bind that cannot come up fails as soon as the
// client is suspended, and the backoff wait is abandoned.
func TestClientSuspendWakesWaitingSubmit(t *testing.T) {
	srv := newServer(t, func(s *smpptest.Server) {
		s.Credentials = map[string]string{"gateway": "right"}
	})
	events := make(chan smpp.Event, 100)
	c := runClient(t, srv, smpp.ClientOptions{Password: "wrong", OnEvent: func(e smpp.Event) { events <- e }})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Submit(ctx, sm("1", "x"))
		done <- err
	}()
	waitState(t, events, smpp.ClientWaiting) // refused: waits BackoffCap
	if err := c.Suspend(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, smpp.ErrSuspended) {
			t.Errorf("waiting Submit() = %v, want ErrSuspended", err)
		}
	case <-ctx.Done():
		t.Fatal("waiting Submit() did not return after Suspend")
	}
	waitState(t, events, smpp.ClientSuspended)
}

func TestClientSuspendBeforeRunAndAfterStop(t *testing.T) {
	srv := newServer(t, nil)
	dialer := &countingDialer{}
	events := make(chan smpp.Event, 100)
	c, err := smpp.NewClient(smpp.ClientOptions{
		Addr: srv.Addr(), SystemID: "gateway", Dialer: dialer,
		Logger:  slog.New(slog.DiscardHandler),
		OnEvent: func(e smpp.Event) { events <- e },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Suspend(); err != nil {
		t.Fatalf("Suspend() before Run = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitState(t, events, smpp.ClientSuspended)
	if n := dialer.n.Load(); n != 0 {
		t.Errorf("%d dials by a client started suspended, want 0", n)
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	if _, err := c.Submit(sctx, sm("1", "x")); err != nil {
		t.Fatalf("Submit() after Resume = %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if err := c.Suspend(); !errors.Is(err, smpp.ErrClosed) {
		t.Errorf("Suspend() after Run returned = %v, want ErrClosed", err)
	}
	if err := c.Resume(); !errors.Is(err, smpp.ErrClosed) {
		t.Errorf("Resume() after Run returned = %v, want ErrClosed", err)
	}
}
