package smsgw_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
)

// link plays one SMPP connection of the transport: it keeps the fate
// callbacks of the MOs acknowledged over it, and the test decides each
// fate, as the session does when the SMSC answers a later request
// (confirm) or the connection ends first (die).
type link struct {
	name  string
	mu    sync.Mutex
	fates []func(bool)
}

func newLink(name string) *link { return &link{name: name} }

func (l *link) mo(from, to, text string) smsgw.MO {
	return smsgw.MO{From: from, To: to, Text: text, Link: l.name, Track: func(fate func(bool)) {
		l.mu.Lock()
		l.fates = append(l.fates, fate)
		l.mu.Unlock()
	}}
}

// settle tells every open fate of the link.
func (l *link) settle(confirmed bool) {
	l.mu.Lock()
	fs := l.fates
	l.fates = nil
	l.mu.Unlock()
	for _, f := range fs {
		f(confirmed)
	}
}

func (l *link) confirm() { l.settle(true) }
func (l *link) die()     { l.settle(false) }

// over delivers one MO over l, processes it and returns the replies.
func (h *harness) over(l *link, from, to, text string) []smsgw.MT {
	h.t.Helper()
	return h.overGW(h.gw, l, from, to, text)
}

func (h *harness) overGW(gw *smsgw.Gateway, l *link, from, to, text string) []smsgw.MT {
	h.t.Helper()
	if err := gw.HandleMO(h.t.Context(), l.mo(from, to, text)); err != nil {
		h.t.Fatalf("HandleMO(%q): %v", text, err)
	}
	ctx := h.t.Context()
	if _, err := gw.ProcessInbox(ctx); err != nil {
		h.t.Fatal(err)
	}
	if _, err := gw.SendDue(ctx); err != nil {
		h.t.Fatal(err)
	}
	return h.out.Take()
}

func none(t *testing.T, mts []smsgw.MT) {
	t.Helper()
	if len(mts) != 0 {
		t.Fatalf("got %d replies %+v, want none (a redelivery)", len(mts), mts)
	}
}

func (h *harness) duplicates(want int64) {
	h.t.Helper()
	if got := h.gw.Stats().MODuplicate.Load(); got != want {
		h.t.Errorf("redeliveries recognised = %d, want %d", got, want)
	}
}

func TestRepeatOverSameLinkIsNew(t *testing.T) {
	h := newHarness(t)
	l1 := newLink("l1")
	for range 3 {
		one(t, h.over(l1, payer, request, "SALDO"), request, "Saldo")
	}
	l1.die()
	h.duplicates(0)
}

func TestRepeatAfterConfirmationIsNew(t *testing.T) {
	h := newHarness(t)
	l1, l2 := newLink("l1"), newLink("l2")
	one(t, h.over(l1, payer, request, "SALDO"), request, "Saldo")
	l1.confirm()
	l1.die() // too late: the SMSC read the acknowledgement
	one(t, h.over(l2, payer, request, "SALDO"), request, "Saldo")
	h.duplicates(0)
}

func TestRedeliveryAfterLinkDiedUnconfirmed(t *testing.T) {
	h := newHarness(t)
	l1, l2, l3 := newLink("l1"), newLink("l2"), newLink("l3")
	one(t, h.over(l1, payer, request, "SALDO"), request, "Saldo")
	l1.die()
	none(t, h.over(l2, payer, request, "SALDO")) // the SMSC's redelivery
	h.duplicates(1)
	// Matched once: the customer sending it again over the same live
	// link is answered.
	one(t, h.over(l2, payer, request, "SALDO"), request, "Saldo")
	// l2 dies before confirming either: both may come back, once each.
	l2.die()
	none(t, h.over(l3, payer, request, "SALDO"))
	none(t, h.over(l3, payer, request, "SALDO"))
	h.duplicates(3)
	l3.confirm()
	one(t, h.over(newLink("l4"), payer, request, "SALDO"), request, "Saldo")
}

func TestRedeliveryWindow(t *testing.T) {
	h := newHarness(t)
	l1 := newLink("l1")
	one(t, h.over(l1, payer, request, "SALDO"), request, "Saldo")
	l1.die()
	h.clk.Add(2*time.Minute + time.Second) // past dedup_window
	one(t, h.over(newLink("l2"), payer, request, "SALDO"), request, "Saldo")
	h.duplicates(0)
}

// Two binds: the same text over the second bind while the first copy's
// fate is open waits for it.
func TestRepeatOverOtherLinkWaitsForFate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		confirmed bool
		replies   int
	}{{"confirmed", true, 2}, {"lost", false, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			a, b := newLink("bind-a"), newLink("bind-b")
			one(t, h.over(a, payer, request, "CEK"), request, "")
			done := make(chan []smsgw.MT)
			go func() {
				if err := h.gw.HandleMO(t.Context(), b.mo(payer, request, "CEK")); err != nil {
					t.Error(err)
				}
				done <- nil
			}()
			select {
			case <-done:
				t.Fatal("the repeat was decided before the first copy's fate was known")
			case <-time.After(100 * time.Millisecond):
			}
			a.settle(tc.confirmed)
			<-done
			h.flush()
			if got := len(h.out.Take()); got != tc.replies-1 {
				t.Errorf("replies to the repeat = %d, want %d", got, tc.replies-1)
			}
		})
	}
}

func TestRepeatOverOtherLinkWaitIsBounded(t *testing.T) {
	h := newHarness(t)
	gw := smsgwtest.New(t, h.store, smsgwtest.WithClock(h.clk), smsgwtest.WithSender(h.out),
		smsgwtest.WithPINKey(bytes.Repeat([]byte{7}, 32)),
		smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.AckWait = 50 * time.Millisecond }))
	a, b := newLink("bind-a"), newLink("bind-b")
	one(t, h.overGW(gw, a, payer, request, "SALDO"), request, "Saldo")
	// Not settled in time: after AckWait the repeat is taken as new, never
	// dropped.
	one(t, h.overGW(gw, b, payer, request, "SALDO"), request, "Saldo")
	// bind-a turns out dead: the repeat may have been the redelivery, so
	// the first copy matches nothing more.
	a.die()
	one(t, h.overGW(gw, b, payer, request, "SALDO"), request, "Saldo")
	one(t, h.overGW(gw, newLink("bind-c"), payer, request, "SALDO"), request, "Saldo")
	if got := gw.Stats().MODuplicate.Load(); got != 0 {
		t.Errorf("redeliveries recognised = %d, want 0", got)
	}
}

// A record matched to a redelivery is open again on the new link: the
// first link's lost fate, written late, does not make it a candidate after
// a crash.
func TestRelinkedRecordNotLostByOldLink(t *testing.T) {
	h := newHarness(t)
	opts := []smsgwtest.Option{smsgwtest.WithClock(h.clk), smsgwtest.WithSender(h.out),
		smsgwtest.WithPINKey(bytes.Repeat([]byte{7}, 32)), smsgwtest.WithCodes(request, pinCode)}
	l1, l2 := newLink("run1/l1"), newLink("run1/l2")
	one(t, h.over(l1, payer, request, "SALDO"), request, "Saldo")
	l1.die()
	none(t, h.over(l2, payer, request, "SALDO")) // matched: open on l2
	if _, err := h.gw.RecordAckFates(t.Context()); err != nil {
		t.Fatal(err)
	}
	l2.confirm() // the process is killed before this is written
	gw2 := smsgwtest.New(t, h.store, opts...)
	one(t, h.overGW(gw2, newLink("run2/l1"), payer, request, "SALDO"), request, "Saldo")
}

// Six identical messages alternating over two binds, each confirmed as
// the SMSC answers the replies: six answers.
func TestIdenticalMessagesOverTwoBinds(t *testing.T) {
	h := newHarness(t)
	binds := []*link{newLink("a"), newLink("b")}
	for i := range 6 {
		l := binds[i%2]
		one(t, h.over(l, payer, request, "SALDO"), request, "Saldo")
		l.confirm()
	}
	h.duplicates(0)
}

// A restart: an MO whose link the previous run saw end before the SMSC
// confirmed the acknowledgement is a redelivery candidate; one whose fate
// the killed process never learnt is not (a customer's repeat is never
// dropped), nor one confirmed.
func TestRedeliveryAfterRestart(t *testing.T) {
	h := newHarness(t)
	opts := []smsgwtest.Option{smsgwtest.WithClock(h.clk), smsgwtest.WithSender(h.out),
		smsgwtest.WithPINKey(bytes.Repeat([]byte{7}, 32)), smsgwtest.WithCodes(request, pinCode)}
	l1, l2 := newLink("run1/l1"), newLink("run1/l2")
	one(t, h.over(l2, payer, request, "BANTUAN"), request, "")
	l2.die() // lost
	one(t, h.over(l1, payer, request, "RIWAYAT"), request, "")
	l1.confirm()
	if n, err := h.gw.RecordAckFates(t.Context()); err != nil || n != 2 {
		t.Fatalf("RecordAckFates = %d, %v; want 2", n, err)
	}
	one(t, h.over(l1, payer, request, "SALDO"), request, "Saldo")
	// The process is killed: SALDO's fate is never told.

	gw2 := smsgwtest.New(t, h.store, opts...)
	l3 := newLink("run2/l1")
	one(t, h.overGW(gw2, l3, payer, request, "SALDO"), request, "Saldo")
	one(t, h.overGW(gw2, l3, payer, request, "RIWAYAT"), request, "")
	none(t, h.overGW(gw2, l3, payer, request, "BANTUAN")) // the SMSC's redelivery
	one(t, h.overGW(gw2, l3, payer, request, "BANTUAN"), request, "")
	if got := gw2.Stats().MODuplicate.Load(); got != 1 {
		t.Errorf("redeliveries recognised = %d, want 1", got)
	}
}

// Two top-ups in a row with the same PIN, the link reconnecting in
// between: both credit. A PIN whose acknowledgement was lost credits once.
func TestSamePINTwiceAcrossReconnect(t *testing.T) {
	h := newHarness(t)
	l1, l2, l3 := newLink("l1"), newLink("l2"), newLink("l3")
	one(t, h.over(l1, payer, request, "IM2PAY 08110000009 50000"), pinCode, "PIN")
	one(t, h.over(l1, payer, pinCode, pin), pinCode, "BERHASIL")
	l1.confirm() // the SMSC answered the result's submit_sm
	l1.die()
	one(t, h.over(l2, payer, request, "IM2PAY 08110000009 50000"), pinCode, "PIN")
	one(t, h.over(l2, payer, pinCode, pin), pinCode, "BERHASIL")
	if got := h.balance("08110000009"); got != 100000 {
		t.Errorf("balance = %v, want 100000", got)
	}
	// This time the PIN's acknowledgement is lost with the link: the
	// SMSC's redelivery is not processed again.
	l2.die()
	none(t, h.over(l3, payer, pinCode, pin))
	if got := h.balance("08110000009"); got != 100000 {
		t.Errorf("balance after redelivery = %v, want 100000", got)
	}
	h.checkLedger()
}

// A transport that cannot track acknowledgements (no Track): every MO is
// new.
func TestUntrackedMOsAreNeverRedeliveries(t *testing.T) {
	h := newHarness(t)
	for range 3 {
		one(t, h.send(payer, request, "SALDO"), request, "Saldo")
	}
	h.duplicates(0)
}
