package smsgw_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
)

// expireSessions has n new customers each leave a top-up waiting for its
// PIN, then expires all n sessions.
func (h *harness) expireSessions(n int) {
	h.t.Helper()
	ctx := h.t.Context()
	for i := range n {
		m := fmt.Sprintf("0812%07d", i)
		if err := h.gw.AddCustomer(ctx, m, m, "", domain.PIN(pin)); err != nil {
			h.t.Fatal(err)
		}
		h.send(m, request, "IM2PAY "+m+" 50000")
	}
	h.clk.Add(6 * time.Minute)
	if got, err := h.gw.ExpirePending(ctx, h.clk.Now()); err != nil || got != n {
		h.t.Fatalf("ExpirePending = %d, %v; want %d", got, err, n)
	}
}

// TestRepliesBeforeBulk: when many sessions lapse at once, their expiry
// notices are bulk; a reply queued after them goes out before most of them,
// not at the back of the queue.
func TestRepliesBeforeBulk(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	const n = 100
	h.expireSessions(n)
	if got, err := h.gw.QueueExpiryNotices(ctx); err != nil || got != n {
		t.Fatalf("QueueExpiryNotices = %d, %v; want %d", got, err, n)
	}
	// A customer asks for the balance while the notices wait.
	sent := h.send(payer, request, "SALDO")
	if len(sent) != n+1 {
		t.Fatalf("sent %d MTs, want %d notices and the reply", len(sent), n)
	}
	for i, m := range sent {
		if !strings.Contains(m.Text, "Saldo i-Pay") {
			continue
		}
		// The reply's page holds at most bulkPage (32) notices beside it.
		if i > 32 {
			t.Errorf("the reply went out as MT %d of %d, behind %d older notices", i+1, len(sent), i)
		}
		return
	}
	t.Fatal("no reply to SALDO")
}

// TestReplyWaitsForTheAcknowledgement: a reply processed with its MO is
// not sent before the transport has queued the MO's acknowledgement, even
// when the outbox runs in between; then it is.
func TestReplyWaitsForTheAcknowledgement(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	var acked func()
	err := h.gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "SALDO", Link: "smsc#1",
		Track:    func(func(bool)) {},
		AfterAck: func(fn func()) { acked = fn }})
	if err != nil {
		t.Fatal(err)
	}
	if acked == nil {
		t.Fatal("HandleMO registered nothing to run after the acknowledgement")
	}
	if _, err := h.gw.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if sent := h.out.Take(); len(sent) != 0 {
		t.Fatalf("sent %q before the acknowledgement", sent[0].Text)
	}
	acked()
	if _, err := h.gw.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if sent := h.out.Take(); len(sent) != 1 || !strings.Contains(sent[0].Text, "Saldo i-Pay") {
		t.Fatalf("after the acknowledgement sent %v, want the SALDO reply", sent)
	}
}

// With a bulk rate, expiry notices go out at that pace, and are queued no
// faster: two seconds' worth wait in the outbox (at least a batch), the
// rest stay owed in their sessions.
func TestBulkRate(t *testing.T) {
	h := newHarness(t, smsgwtest.WithOptions(func(o *smsgw.Options) { o.BulkRate = 100 }))
	ctx := t.Context()
	const n = 300
	h.expireSessions(n)
	queue := func(want int) {
		t.Helper()
		if got, err := h.gw.QueueExpiryNotices(ctx); err != nil || got != want {
			t.Fatalf("QueueExpiryNotices = %d, %v; want %d", got, err, want)
		}
	}
	send := func(want int) {
		t.Helper()
		if _, err := h.gw.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := len(h.out.Take()); got != want {
			t.Fatalf("SendDue sent %d notices, want %d", got, want)
		}
	}
	queue(200) // two seconds' worth at 100/s
	queue(0)
	send(10) // a burst: a tenth of a second's worth
	send(0)
	queue(10)
	h.clk.Add(50 * time.Millisecond)
	send(5)
	// A customer's reply is not paced.
	if got := h.send(payer, request, "SALDO"); len(got) != 1 || !strings.Contains(got[0].Text, "Saldo i-Pay") {
		t.Fatalf("SALDO while notices wait = %+v, want its reply alone", got)
	}
	h.clk.Add(time.Hour)
	send(10) // never more than the burst
}
