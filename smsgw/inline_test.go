package smsgw_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// An MO whose sender has nothing waiting is processed in the transaction
// that stores it: when HandleMO returns, its reply is queued, by one
// commit. An MO whose sender has an earlier MO waiting is only stored, and
// the inbox processes both in order.
func TestMOProcessedAsStored(t *testing.T) {
	ctx := t.Context()
	out := &smsgwtest.Sender{}
	st, gw := sqlitetest.Open(t, smsgwtest.WithCodes(request, pinCode), smsgwtest.WithSender(out))
	queued := func() int {
		t.Helper()
		var n int
		err := st.View(ctx, func(tx smsgw.Tx) (err error) {
			n, err = tx.OutboxDepth()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := st.Stats().Commits
	if err := gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "BANTUAN", SMSCID: "1"}); err != nil {
		t.Fatal(err)
	}
	if got := st.Stats().Commits - before; got != 1 {
		t.Errorf("HandleMO committed %d times, want 1 (MO, processing and reply together)", got)
	}
	if got := queued(); got != 1 {
		t.Fatalf("%d replies queued when HandleMO returned, want 1", got)
	}
	if got := gw.Backlog(); got != 0 {
		t.Errorf("Backlog() = %d, want 0", got)
	}

	// An earlier MO of the sender waits (stored by a deferring gateway on
	// the same store): the next one waits behind it.
	deferring := smsgwtest.New(t, st, smsgwtest.WithCodes(request, pinCode), smsgwtest.WithSender(out),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.DeferProcessing = true }))
	if err := deferring.HandleMO(ctx, smsgw.MO{From: other, To: request, Text: "SALDO", SMSCID: "2"}); err != nil {
		t.Fatal(err)
	}
	if err := gw.HandleMO(ctx, smsgw.MO{From: other, To: request, Text: "BATAL", SMSCID: "3"}); err != nil {
		t.Fatal(err)
	}
	if got := queued(); got != 1 {
		t.Fatalf("%d replies queued, want still 1: the second MO waits behind the first", got)
	}
	if n, err := gw.ProcessInbox(ctx); err != nil || n != 2 {
		t.Fatalf("ProcessInbox() = %d, %v; want 2", n, err)
	}
	if _, err := gw.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, mt := range out.Take() {
		if mt.To == "628110000003" {
			texts = append(texts, mt.Text)
		}
	}
	if len(texts) != 2 || !strings.Contains(texts[0], "SALDO") || !strings.Contains(texts[1], "Tidak ada permintaan") {
		t.Errorf("replies to the second sender = %q, want the SALDO answer, then BATAL's", texts)
	}
}

// When processing an MO in the transaction that stores it fails, the MO is
// stored alone, from its text as received: a PIN reply keeps its PIN
// verifier and the inbox then credits it (the failed run had redacted the
// text it stored and rolled back).
func TestPINReplyStoredAloneAfterInlineFailure(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), pinCode, "Balas SMS ini dengan PIN")
	failures := 1
	h.gw.SetSessionHook(smsgw.SessionHookFunc(func(smsgw.Tx, *smsgw.Session, time.Time) error {
		if failures > 0 {
			failures--
			return errors.New("hook down for a moment")
		}
		return nil
	}))
	if err := h.gw.HandleMO(ctx, smsgw.MO{From: payer, To: pinCode, Text: pin}); err != nil {
		t.Fatal(err)
	}
	if got := h.gw.Backlog(); got != 1 {
		t.Fatalf("Backlog() = %d after the inline failure, want the PIN reply waiting in the inbox", got)
	}
	h.flush()
	one(t, h.out.Take(), pinCode, "BERHASIL")
	if got, want := h.balance("08110000009"), domain.Amount(50000); got != want {
		t.Errorf("balance = %v, want %v", got, want)
	}
}
