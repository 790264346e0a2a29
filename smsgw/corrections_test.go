package smsgw_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

var (
	ana  = smsgw.Actor{Name: "ana", Role: "admin"}
	budi = smsgw.Actor{Name: "budi", Role: "admin"}
)

// topUp credits 08110000009 with amount by SMS and returns the transfer.
func (h *harness) topUp(amount string) *smsgw.Transfer {
	h.t.Helper()
	h.flush()
	h.out.Take() // earlier MTs, e.g. correction notices
	one(h.t, h.send(payer, request, "IM2PAY 08110000009 "+amount), pinCode, "PIN")
	one(h.t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
	var tr *smsgw.Transfer
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) error {
		ts, err := tx.Transfers(domain.WalletID("628110000009"), 1)
		if err == nil {
			tr = &ts[0]
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return tr
}

// A reversal is requested by one admin and approved by another: a new
// transfer back to the settlement account, linked to the original; the
// customer is told; both steps are in the audit trail.
func TestCorrectionReversal(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	orig := h.topUp("75000")
	c, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Amount: 25000, Reason: "double payment, bank ticket 7"})
	if err != nil {
		t.Fatal(err)
	}
	if c.State != smsgw.CorrectionRequested || c.Amount != 25000 || c.Maker != "ana" {
		t.Fatalf("requested %+v", c)
	}
	if h.balance("08110000009") != 75000 {
		t.Fatal("a request alone moved money")
	}
	if _, err := h.gw.ApproveCorrection(ctx, ana, c.ID); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("the maker approving: %v, want invalid", err)
	}
	if _, err := h.gw.RejectCorrection(ctx, smsgw.Actor{Name: "ANA"}, c.ID, "no"); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("the maker (other case) rejecting: %v, want invalid", err)
	}
	c, err = h.gw.ApproveCorrection(ctx, budi, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != smsgw.CorrectionApproved || c.Checker != "budi" || c.ResultTransferID == 0 {
		t.Fatalf("approved %+v", c)
	}
	if b := h.balance("08110000009"); b != 50000 {
		t.Errorf("wallet %d after reversing 25.000 of 75.000, want 50.000", b)
	}
	h.checkLedger()
	err = h.store.View(ctx, func(tx smsgw.Tx) error {
		rev, err := tx.TransferByID(c.ResultTransferID)
		if err != nil {
			return err
		}
		if rev.Kind != smsgw.TransferReversal || rev.ReversesID != orig.ID || rev.From != orig.To || rev.To != orig.From || rev.Amount != 25000 {
			t.Errorf("reversal transfer %+v, want 25.000 from %s back to %s reversing %d", rev, orig.To, orig.From, orig.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.flush()
	sms := one(t, h.out.Take(), request, "dikoreksi")
	if !strings.Contains(sms.Text, "Rp25.000") || !strings.Contains(sms.Text, "Rp50.000") {
		t.Errorf("customer told %q, want the amount and the new balance", sms.Text)
	}
	var actions []string
	for _, e := range h.auditEntries() {
		actions = append(actions, e.Action+" by "+e.Actor)
	}
	got := strings.Join(actions, ", ")
	if !strings.Contains(got, "ledger.correction_request by ana") || !strings.Contains(got, "ledger.correction_approve by budi") {
		t.Errorf("audit trail %s", got)
	}
	// Decided once only.
	if _, err := h.gw.RejectCorrection(ctx, budi, c.ID, "late"); smsgw.ErrorCode(err) != smsgw.EConflict {
		t.Errorf("rejecting an approved correction: %v, want conflict", err)
	}
}

// Never more than what remains: open requests count, a full reversal
// leaves nothing, and a reversal or an SMS top-up cannot be corrected as
// what it is not.
func TestCorrectionLimits(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	orig := h.topUp("50000")
	if _, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Amount: 60000, Reason: "x"}); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("over the original: %v, want invalid", err)
	}
	first, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Amount: 30000, Reason: "part"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Amount: 30000, Reason: "again"}); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("30.000 more while 30.000 of 50.000 is asked for: %v, want invalid", err)
	}
	rest, err := h.gw.RequestCorrection(ctx, budi, smsgw.CorrectionRequest{TransferID: orig.ID, Reason: "the rest"})
	if err != nil || rest.Amount != 20000 {
		t.Fatalf("the rest = %+v, %v; want 20.000", rest, err)
	}
	if _, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Reason: "more"}); smsgw.ErrorCode(err) != smsgw.EConflict {
		t.Errorf("nothing left: %v, want conflict", err)
	}
	if _, err := h.gw.RejectCorrection(ctx, budi, first.ID, "wrong amount"); err != nil {
		t.Fatal(err)
	}
	again, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Amount: 30000, Reason: "after the rejection"})
	if err != nil {
		t.Fatalf("a rejected request frees its amount: %v", err)
	}
	for _, c := range []*smsgw.Correction{again, rest} {
		checker := budi
		if c.Maker == "budi" {
			checker = ana
		}
		if _, err := h.gw.ApproveCorrection(ctx, checker, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if b := h.balance("08110000009"); b != 0 {
		t.Errorf("wallet %d after reversing all, want 0", b)
	}
	var revID int64
	_ = h.store.View(ctx, func(tx smsgw.Tx) error {
		c, _ := tx.Correction(again.ID)
		revID = c.ResultTransferID
		return nil
	})
	if _, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: revID, Reason: "undo the undo"}); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("correcting a reversal: %v, want invalid", err)
	}
	other := h.topUp("50000")
	if _, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{Kind: smsgw.CorrectionRefund, TransferID: other.ID, Reason: "x"}); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("a refund of an SMS top-up: %v, want invalid", err)
	}
	if _, err := h.gw.RequestCorrection(ctx, smsgw.Actor{}, smsgw.CorrectionRequest{TransferID: other.ID, Reason: "x"}); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("no maker: %v, want invalid", err)
	}
	h.checkLedger()
}

// 50 requests with one key make one correction; 50 approvals at once make
// one reversal.
func TestCorrectionCannotDouble(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	orig := h.topUp("100000")
	var (
		wg  sync.WaitGroup
		ids sync.Map
	)
	for range 50 {
		wg.Go(func() {
			c, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Reason: "dispute", Key: "ticket-42"})
			if err != nil {
				t.Errorf("request: %v", err)
				return
			}
			ids.Store(c.ID, true)
		})
	}
	wg.Wait()
	var id int64
	n := 0
	ids.Range(func(k, _ any) bool { id, n = k.(int64), n+1; return true })
	if n != 1 {
		t.Fatalf("%d corrections from 50 requests with one key, want 1", n)
	}
	var ok atomic.Int64
	for range 50 {
		wg.Go(func() {
			if _, err := h.gw.ApproveCorrection(ctx, budi, id); err == nil {
				ok.Add(1)
			} else if smsgw.ErrorCode(err) != smsgw.EConflict {
				t.Errorf("approve: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("%d approvals succeeded, want 1", ok.Load())
	}
	if b := h.balance("08110000009"); b != 0 {
		t.Errorf("wallet %d, want 0 after one reversal of 100.000", b)
	}
	h.checkLedger()
}

// A request nobody decides expires: approving it then says so and marks
// it expired; the expiry job marks the others, in the audit trail.
func TestCorrectionExpires(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	orig := h.topUp("50000")
	a, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Amount: 10000, Reason: "a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: orig.ID, Amount: 10000, Reason: "b"})
	if err != nil {
		t.Fatal(err)
	}
	h.clk.Add(smsgw.DefaultCorrectionTTL)
	if _, err := h.gw.ApproveCorrection(ctx, budi, a.ID); smsgw.ErrorCode(err) != smsgw.EExpired {
		t.Errorf("approving after the expiry: %v, want expired", err)
	}
	if n, err := h.gw.ExpireCorrections(ctx, h.clk.Now()); n != 1 || err != nil {
		t.Errorf("ExpireCorrections = %d, %v; want 1 (the other)", n, err)
	}
	for _, id := range []int64{a.ID, b.ID} {
		cs, _ := h.gw.Corrections(ctx, smsgw.CorrectionFilter{State: smsgw.CorrectionExpired})
		found := false
		for _, c := range cs {
			found = found || c.ID == id
		}
		if !found {
			t.Errorf("correction %d not expired", id)
		}
	}
	if b := h.balance("08110000009"); b != 50000 {
		t.Errorf("wallet %d, want untouched", b)
	}
}

func (h *harness) auditEntries() []smsgw.AuditEntry {
	h.t.Helper()
	var es []smsgw.AuditEntry
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		es, err = tx.AuditTrail(smsgw.AuditFilter{Limit: 100})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

// The credit of a kind the core does not know (an outside request's) can
// be corrected only once its kind is registered as refundable; then a
// refund and a reversal both may undo it. An SMS top-up is never refunded.
func TestCorrectionRefundableKinds(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	tr := &smsgw.Transfer{IdempotencyKey: "outside:1", Kind: "outside_credit", From: h.gw.Settlement(),
		To: domain.WalletID("628110000009"), Amount: 40000, Reference: "O-1"}
	if err := h.store.Update(ctx, func(tx smsgw.Tx) error { return tx.Transfer(tr) }); err != nil {
		t.Fatal(err)
	}
	refund := smsgw.CorrectionRequest{Kind: smsgw.CorrectionRefund, TransferID: tr.ID, Amount: 10000, Reason: "paid twice"}
	if _, err := h.gw.RequestCorrection(ctx, ana, refund); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("a refund of an unregistered kind: %v, want invalid", err)
	}
	if h.gw.Refundable("outside_credit") || h.gw.Refundable(smsgw.TransferSMSTopUp) {
		t.Fatal("refundable before any registration")
	}
	h.gw.AllowRefunds("outside_credit")
	if !h.gw.Refundable("outside_credit") || h.gw.Refundable(smsgw.TransferSMSTopUp) {
		t.Fatal("Refundable does not follow AllowRefunds")
	}
	c, err := h.gw.RequestCorrection(ctx, ana, refund)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.gw.ApproveCorrection(ctx, budi, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.gw.RequestCorrection(ctx, ana, smsgw.CorrectionRequest{TransferID: tr.ID, Amount: 10000, Reason: "paid twice again"}); err != nil {
		t.Errorf("a reversal of a registered kind: %v", err)
	}
	if b := h.balance("08110000009"); b != 30000 {
		t.Errorf("wallet %d after a refund of 10000 of 40000, want 30000", b)
	}
	h.checkLedger()
}
