package smsgw_test

import (
	"testing"

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
