package esme_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// A whole gateway over real binds, for the redelivery rule: SQLite store,
// the gateway's inbox and outbox loops, replies sent through the ESME.
type redeliveryRig struct {
	srv *smpptest.Server
	g   *realGateway
	e   *esme.ESME
}

func newRedeliveryRig(t *testing.T, binds ...string) *redeliveryRig {
	t.Helper()
	srv := newSMSC(t, text.Options{})
	ls := &lateSender{}
	db, gw := sqlitetest.Open(t, smsgwtest.WithPath(filepath.Join(t.TempDir(), "gw.db")), smsgwtest.WithSender(ls),
		smsgwtest.WithCodes(request, pinCode), smsgwtest.WithOptions(func(o *smsgw.Options) {
			o.MTRetryBase = 20 * time.Millisecond
		}))
	var bos []esme.BindOptions
	for _, name := range binds {
		bo := bindTo(srv, name)
		bo.Client.AckProbeDelay = 20 * time.Millisecond
		bos = append(bos, bo)
	}
	e, _ := runESME(t, srv, gw, esme.Options{Binds: bos})
	ls.e.Store(e)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = gw.Run(ctx, 20*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })
	return &redeliveryRig{srv: srv, g: &realGateway{gw: gw, db: db}, e: e}
}

func (r *redeliveryRig) pdu(t *testing.T, body string) *pdu.DeliverSM {
	t.Helper()
	ds, err := r.srv.TextPDUs(customer, request, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ds[0]
}

// sent waits until n replies were accepted by the SMSC, and checks that
// no more are in the SMS log.
func (r *redeliveryRig) sent(t *testing.T, n int) {
	t.Helper()
	count := func(status string) int {
		c := 0
		for _, m := range r.g.messages(t, smsgw.DirOut) {
			if status == "" || m.Status == status {
				c++
			}
		}
		return c
	}
	eventually(t, "replies sent", func() bool { return count(smsgw.MsgSent) >= n })
	if got := count(""); got != n {
		t.Fatalf("replies = %d, want %d", got, n)
	}
}

func (r *redeliveryRig) stored(t *testing.T, n int) {
	t.Helper()
	if got := r.g.texts(t); len(got) != n {
		t.Fatalf("MOs stored = %d %q, want %d", len(got), got, n)
	}
}

// The acknowledgement is lost with the link: the SMSC's redelivery over the
// new link is stored and answered once.
func TestRedeliveryOfLostAckAnsweredOnce(t *testing.T) {
	r := newRedeliveryRig(t, "a")
	d := r.pdu(t, "SALDO")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if st, err := r.srv.DeliverLosingAck(ctx, d); err != nil || st != pdu.StatusOK {
		t.Fatalf("deliver = %v, %v; want ESME_ROK", st, err)
	}
	if _, err := r.srv.WaitBound(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if st := deliver(t, r.srv, d); st != pdu.StatusOK {
		t.Fatalf("redelivery = %v, want ESME_ROK", st)
	}
	r.stored(t, 1)
	r.sent(t, 1)
	// The customer sending it again is new.
	deliver(t, r.srv, d)
	r.stored(t, 2)
	r.sent(t, 2)
}

// The SMSC read the acknowledgement (it answered the reply's submit_sm);
// the link drops afterwards: the same text over the new link is the
// customer again.
func TestRepeatAfterReconnectAnswered(t *testing.T) {
	r := newRedeliveryRig(t, "a")
	d := r.pdu(t, "SALDO")
	deliver(t, r.srv, d)
	r.sent(t, 1)
	reconnect(t, r.srv, "a")
	deliver(t, r.srv, d)
	r.stored(t, 2)
	r.sent(t, 2)
}

// Six identical messages over two binds get six answers.
func TestIdenticalMOsOverTwoBindsAnswered(t *testing.T) {
	r := newRedeliveryRig(t, "a", "b")
	d := r.pdu(t, "SALDO")
	for i := range 6 {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		st, err := r.srv.DeliverTo(ctx, []string{"a", "b"}[i%2], d)
		cancel()
		if err != nil || st != pdu.StatusOK {
			t.Fatalf("deliver %d = %v, %v", i, st, err)
		}
	}
	r.stored(t, 6)
	r.sent(t, 6)
}

// Suspending a bind unbinds it gracefully (the unbind_resp confirms every
// acknowledgement); the same text after resume is new.
func TestRepeatAfterSuspendResumeAnswered(t *testing.T) {
	r := newRedeliveryRig(t, "a")
	d := r.pdu(t, "SALDO")
	deliver(t, r.srv, d)
	conns := r.srv.Conns()
	if err := r.e.Suspend("a"); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		<-c.Done()
	}
	if err := r.e.Resume("a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := r.srv.WaitBound(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bind up", func() bool {
		return !slices.ContainsFunc(r.e.Status(), func(s esme.BindStatus) bool { return !s.Bound })
	})
	deliver(t, r.srv, d)
	r.stored(t, 2)
	r.sent(t, 2)
}
