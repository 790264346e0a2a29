package esme_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
)

// suspendGateway accepts every MO and receipt.
type suspendGateway struct{}

func (suspendGateway) HandleMO(context.Context, smsgw.MO) error           { return nil }
func (suspendGateway) HandleReceipt(context.Context, smsgw.Receipt) error { return nil }

// suspendHarness runs an ESME with binds "a" and "b" against one SMSC.
type suspendHarness struct {
	t      *testing.T
	srv    *smpptest.Server
	e      *esme.ESME
	events map[string]chan smpp.ClientState
}

func startSuspendHarness(t *testing.T) *suspendHarness {
	t.Helper()
	srv := smpptest.NewServer()
	t.Cleanup(srv.Close)
	h := &suspendHarness{t: t, srv: srv, events: map[string]chan smpp.ClientState{}}
	var binds []esme.BindOptions
	for _, name := range []string{"a", "b"} {
		ch := make(chan smpp.ClientState, 100)
		h.events[name] = ch
		binds = append(binds, esme.BindOptions{
			Name:   name,
			Concat: text.ConcatUDH8,
			Client: smpp.ClientOptions{
				Addr: srv.Addr(), SystemID: name,
				BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond,
				OnEvent: func(ev smpp.Event) { ch <- ev.State },
			},
		})
	}
	e, err := esme.New(esme.Options{Binds: binds, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, suspendGateway{}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
		e.Close()
	})
	h.wait("a", smpp.ClientBound)
	h.wait("b", smpp.ClientBound)
	return h
}

// wait reads bind name's events until state st.
func (h *suspendHarness) wait(name string, st smpp.ClientState) {
	h.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got := <-h.events[name]:
			if got == st {
				return
			}
		case <-timeout:
			h.t.Fatalf("bind %s: no %v event within 5s", name, st)
		}
	}
}

// status returns the status of bind name.
func (h *suspendHarness) status(name string) esme.BindStatus {
	h.t.Helper()
	for _, s := range h.e.Status() {
		if s.Name == name {
			return s
		}
	}
	h.t.Fatalf("Status() has no bind %q", name)
	return esme.BindStatus{}
}

// send sends one MT and returns the system_id of the bind that carried it.
func (h *suspendHarness) send(msg string) (string, error) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), 5*time.Second)
	defer cancel()
	before := len(h.srv.Submitted())
	if _, err := h.e.Send(ctx, smsgw.MT{ID: 1, From: "3355", To: "628110000001", Text: msg, Channel: smsgw.ChannelSMS}); err != nil {
		return "", err
	}
	subs := h.srv.Submitted()
	if len(subs) != before+1 {
		h.t.Fatalf("the SMSC recorded %d new submissions, want 1", len(subs)-before)
	}
	return subs[len(subs)-1].SystemID, nil
}

func TestSuspendRoutesAroundAndResumes(t *testing.T) {
	h := startSuspendHarness(t)
	if via, err := h.send("one"); err != nil || via != "a" {
		t.Fatalf("Send() went via %q, %v; want a, nil", via, err)
	}

	if err := h.e.Suspend("a"); err != nil {
		t.Fatalf("Suspend(a) = %v", err)
	}
	if st := h.status("a"); st.Bound || !st.Suspended {
		t.Errorf("status right after Suspend(a) = %+v, want not bound, suspended", st)
	}
	// MTs go out through the other bind, even while a is still unbinding.
	if via, err := h.send("two"); err != nil || via != "b" {
		t.Fatalf("Send() with a suspended went via %q, %v; want b, nil", via, err)
	}
	h.wait("a", smpp.ClientSuspended)
	if st := h.status("b"); !st.Bound || st.Suspended {
		t.Errorf("status of b = %+v, want bound, not suspended", st)
	}

	// Both suspended: Send fails with a temporary error, so the MT stays
	// in the outbox.
	if err := h.e.Suspend("b"); err != nil {
		t.Fatalf("Suspend(b) = %v", err)
	}
	_, err := h.send("three")
	var tmp interface{ Temporary() bool }
	if err == nil || !errors.As(err, &tmp) || !tmp.Temporary() {
		t.Fatalf("Send() with every bind suspended = %v, want a temporary error", err)
	}
	for _, st := range h.e.Status() {
		if st.Bound {
			t.Errorf("bind %s reported bound while suspended", st.Name)
		}
	}

	if err := h.e.Resume("a"); err != nil {
		t.Fatalf("Resume(a) = %v", err)
	}
	h.wait("a", smpp.ClientBound)
	if st := h.status("a"); !st.Bound || st.Suspended {
		t.Errorf("status after Resume(a) = %+v, want bound, not suspended", st)
	}
	if via, err := h.send("four"); err != nil || via != "a" {
		t.Fatalf("Send() after Resume(a) went via %q, %v; want a, nil", via, err)
	}
}

func TestSuspendUnknownBind(t *testing.T) {
	h := startSuspendHarness(t)
	if err := h.e.Suspend("nope"); !errors.Is(err, esme.ErrUnknownBind) {
		t.Errorf("Suspend(nope) = %v, want ErrUnknownBind", err)
	}
	if err := h.e.Resume("nope"); !errors.Is(err, esme.ErrUnknownBind) {
		t.Errorf("Resume(nope) = %v, want ErrUnknownBind", err)
	}
	for _, st := range h.e.Status() {
		if !st.Bound || st.Suspended {
			t.Errorf("bind %s = %+v after a failed Suspend, want bound", st.Name, st)
		}
	}
}
