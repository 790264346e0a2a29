package smsgw_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
)

// An MT the SMSC accepted while the store could not record it (locked,
// full or read-only database) is recorded once the store recovers, and not
// sent again on every poll in between.
func TestSentMTNotResentWhileUnrecorded(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	fs := &failingStore{Store: h.store}
	gw := smsgwtest.New(t, fs, smsgwtest.WithClock(h.clk), smsgwtest.WithSender(h.out),
		smsgwtest.WithLogger(smsgwtest.NewLogger(h.logs)), smsgwtest.WithCodes(request, pinCode))
	if err := gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "SALDO"}); err != nil {
		t.Fatal(err)
	}
	if _, err := gw.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	fs.fail = true
	for i := range 3 {
		if n, err := gw.SendDue(ctx); n != 0 || err != nil {
			t.Fatalf("SendDue %d while the store fails = %d, %v; want 0, nil", i+1, n, err)
		}
	}
	one(t, h.out.Take(), request, "Saldo") // accepted by the SMSC once
	fs.fail = false
	if n, err := gw.SendDue(ctx); n != 1 || err != nil {
		t.Fatalf("SendDue once the store works = %d, %v; want 1 recorded", n, err)
	}
	if mts := h.out.Take(); len(mts) != 0 {
		t.Fatalf("sent again after the store recovered: %+v", mts)
	}
	var ms []smsgw.Message
	if err := h.store.View(ctx, func(tx smsgw.Tx) (err error) {
		ms, err = tx.Messages(smsgw.MessageFilter{Direction: smsgw.DirOut, Limit: 10})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Status != smsgw.MsgSent || len(ms[0].SMSCIDs) != 1 || ms[0].SMSCIDs[0] != "mt-1" {
		t.Errorf("SMS log out = %+v, want one MT sent with the id the SMSC gave it (mt-1)", ms)
	}
	if n, err := gw.SendDue(ctx); n != 0 || err != nil {
		t.Errorf("SendDue with nothing due = %d, %v", n, err)
	}
}

// failMarkSent fails the transactions that record a sent MT while armed.
type failMarkSent struct {
	smsgw.Store
	armed atomic.Bool
}

type markSentTx struct {
	smsgw.Tx
	s *failMarkSent
}

func (t markSentTx) MarkMTSent(id int64, ids []string, now time.Time) error {
	if t.s.armed.Load() {
		return errors.New("could not serialize access due to read/write dependencies")
	}
	return t.Tx.MarkMTSent(id, ids, now)
}

func (s *failMarkSent) Update(ctx context.Context, fn func(smsgw.Tx) error) error {
	return s.Store.Update(ctx, func(tx smsgw.Tx) error { return fn(markSentTx{Tx: tx, s: s}) })
}

// Sharing the store, an MT whose record failed keeps its claim; the next
// SendDue records it at once, long before the claim would end and another
// gateway would send it again.
func TestSharedUnrecordedMTRecordedNextCall(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	fs := &failMarkSent{Store: h.store}
	gw := smsgwtest.New(t, fs, smsgwtest.WithClock(h.clk), smsgwtest.WithSender(h.out),
		smsgwtest.WithLogger(smsgwtest.NewLogger(h.logs)), smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.SharedStore, o.Node = true, "node-a" }))
	if err := gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "SALDO"}); err != nil {
		t.Fatal(err)
	}
	if _, err := gw.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	fs.armed.Store(true)
	if n, err := gw.SendDue(ctx); n != 0 || err != nil {
		t.Fatalf("SendDue with the record failing = %d, %v; want 0, nil", n, err)
	}
	one(t, h.out.Take(), request, "Saldo")
	fs.armed.Store(false)
	if n, err := gw.SendDue(ctx); n != 1 || err != nil {
		t.Fatalf("next SendDue = %d, %v; want the MT recorded", n, err)
	}
	if mts := h.out.Take(); len(mts) != 0 {
		t.Fatalf("sent again: %+v", mts)
	}
	// Another gateway after the claim's end finds nothing to send.
	h.clk.Add(time.Minute)
	other := smsgwtest.New(t, h.store, smsgwtest.WithClock(h.clk), smsgwtest.WithSender(h.out),
		smsgwtest.WithLogger(smsgwtest.NewLogger(h.logs)), smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.SharedStore, o.Node = true, "node-b" }))
	if n, err := other.SendDue(ctx); n != 0 || err != nil {
		t.Errorf("other gateway's SendDue = %d, %v", n, err)
	}
	if mts := h.out.Take(); len(mts) != 0 {
		t.Errorf("sent again by another gateway: %+v", mts)
	}
}
