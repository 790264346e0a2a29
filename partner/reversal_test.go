package partner_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// payVA confirms a bank payment of amount to the test wallet.
func (h *partnerHarness) payVA(ref string, amount domain.Amount) *partner.Request {
	h.t.Helper()
	res, err := h.p.PayVA(h.t.Context(), partner.VAPayment{Partner: "bank", VA: "0138877" + ipayAcct, Amount: amount, BankRef: ref})
	if err != nil {
		h.t.Fatalf("PayVA(%s): %v", ref, err)
	}
	h.flush()
	h.out.Take()
	return &res.Request
}

func (h *partnerHarness) reverse(refid, bankRef string, amount domain.Amount) (*partner.Result, error) {
	return h.p.ReverseVA(h.t.Context(), partner.VAReversal{Partner: "bank", RefID: refid, BankRef: bankRef, Amount: amount,
		Reason: "dana dikembalikan ke nasabah"})
}

func TestReverseVA(t *testing.T) {
	h := newPartnerHarness(t, nil)
	pay := h.payVA("ATM-1", 100000)

	// A part, then what remains; the customer is told each time.
	res, err := h.reverse("REV-1", "ATM-1", 30000)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	if r.State != partner.Success || r.Kind != partner.KindVAReversal || r.ReversesID != pay.ID || r.Amount != 30000 ||
		r.Dest != ipayAcctN || r.TransferID == 0 || r.SN == "" || r.Message != "dana dikembalikan ke nasabah" {
		t.Fatalf("ReverseVA = %+v, want a success reversing request %d", r, pay.ID)
	}
	h.flush()
	one(t, h.out.Take(), request, "dikoreksi sebesar -Rp30.000 (pembatalan transaksi Ref ATM-1). Saldo Anda sekarang Rp70.000")
	if got := h.balance(ipayAcct); got != 70000 {
		t.Fatalf("wallet = %v, want 70000", got)
	}
	var rev *smsgw.Transfer
	if err := h.store.View(t.Context(), func(tx smsgw.Tx) (err error) {
		rev, err = tx.TransferByID(r.TransferID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if rev.ReversesID != pay.TransferID || rev.From != domain.WalletID(ipayAcctN) || rev.To != "settlement:bank" ||
		rev.Kind != smsgw.TransferReversal || rev.Reference != "REV-1" {
		t.Fatalf("reversal transfer = %+v, want wallet → settlement:bank reversing %d", rev, pay.TransferID)
	}
	res, err = h.reverse("REV-2", "atm-1", 0)
	if err != nil || res.Request.Amount != 70000 {
		t.Fatalf("ReverseVA(rest) = %+v, %v; want Rp70.000", res, err)
	}
	h.flush()
	one(t, h.out.Take(), request, "-Rp70.000")

	// Resent: the first answer, nothing moves; the same refid for something else: a conflict.
	res, err = h.reverse("REV-1", "ATM-1", 30000)
	if err != nil || !res.Resent || res.Request.ID != r.ID {
		t.Fatalf("ReverseVA(resent) = %+v, %v; want the first, resent", res, err)
	}
	_, err = h.reverse("REV-1", "ATM-1", 20000)
	wantPartnerCode(t, "ReverseVA(refid reused)", err, smsgw.EConflict)
	_, err = h.reverse("REV-1", "ATM-2", 30000)
	wantPartnerCode(t, "ReverseVA(refid reused for another payment)", err, smsgw.EConflict)
	// Resent with the amount the first answer showed, or without one.
	if res, err := h.reverse("REV-2", "ATM-1", 70000); err != nil || !res.Resent {
		t.Fatalf("ReverseVA(REV-2 with its amount) = %+v, %v; want the first, resent", res, err)
	}
	if res, err := h.reverse("REV-1", "ATM-1", 0); err != nil || !res.Resent || res.Request.Amount != 30000 {
		t.Fatalf("ReverseVA(REV-1 without its amount) = %+v, %v; want the first, resent", res, err)
	}
	// Nothing remains.
	_, err = h.reverse("REV-3", "ATM-1", 0)
	wantPartnerCode(t, "ReverseVA(nothing remains)", err, smsgw.EConflict)
	_, err = h.reverse("REV-3", "ATM-1", 50000)
	wantPartnerCode(t, "ReverseVA(more than remains)", err, smsgw.EConflict)

	if got := h.balance(ipayAcct); got != 0 {
		t.Errorf("wallet = %v, want 0", got)
	}
	// One callback per request: the payment and the two reversals.
	if got := len(h.callbacks()); got != 3 {
		t.Errorf("callbacks = %d, want 3", got)
	}
	if got := h.request("bank", "REV-2"); got.Kind != partner.KindVAReversal || got.ReversesID != pay.ID {
		t.Errorf("Status(REV-2) = %+v", got)
	}
	h.checkLedger()
}

func TestReverseVARefusals(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.payVA("ATM-1", 100000)

	for _, tc := range []struct {
		name string
		v    partner.VAReversal
		want string
	}{
		{"not a bank", partner.VAReversal{Partner: "pulsa", RefID: "R", BankRef: "T-1"}, partner.EForbidden},
		{"unknown partner", partner.VAReversal{Partner: "nobody", RefID: "R", BankRef: "ATM-1"}, smsgw.ENotFound},
		{"no refid", partner.VAReversal{Partner: "bank", BankRef: "ATM-1"}, smsgw.EInvalid},
		{"no bank ref", partner.VAReversal{Partner: "bank", RefID: "R"}, smsgw.EInvalid},
		{"negative", partner.VAReversal{Partner: "bank", RefID: "R", BankRef: "ATM-1", Amount: -1}, smsgw.EInvalid},
		{"unknown payment", partner.VAReversal{Partner: "bank", RefID: "R", BankRef: "ATM-2"}, smsgw.ENotFound},
		{"a reversal", partner.VAReversal{Partner: "bank", RefID: "R", BankRef: "R0"}, smsgw.ENotFound},
		{"over the payment", partner.VAReversal{Partner: "bank", RefID: "R", BankRef: "ATM-1", Amount: 100001}, smsgw.EConflict},
	} {
		if tc.name == "a reversal" {
			if _, err := h.reverse("R0", "ATM-1", 1000); err != nil {
				t.Fatal(err)
			}
		}
		_, err := h.p.ReverseVA(t.Context(), tc.v)
		wantPartnerCode(t, "ReverseVA("+tc.name+")", err, tc.want)
	}
	// The wallet was spent: a wallet never goes below zero. The
	// refusal records nothing, so the bank may send it again later.
	if got := h.balance(ipayAcct); got != 99000 {
		t.Fatalf("wallet = %v, want 99000", got)
	}
	var spent *smsgw.Transfer
	if err := h.store.Update(t.Context(), func(tx smsgw.Tx) error {
		spent = &smsgw.Transfer{IdempotencyKey: "spend", Kind: smsgw.TransferSMSTopUp, From: domain.WalletID(ipayAcctN),
			To: "settlement:bank", Amount: 90000}
		return tx.Transfer(spent)
	}); err != nil {
		t.Fatal(err)
	}
	_, err := h.reverse("R1", "ATM-1", 0)
	wantPartnerCode(t, "ReverseVA(wallet spent)", err, smsgw.EFunds)
	if _, err := h.p.Status(t.Context(), "bank", "", "R1"); smsgw.ErrorCode(err) != smsgw.ENotFound {
		t.Fatalf("Status(R1) after a refusal = %v, want not found", err)
	}
	if _, err := h.reverse("R1", "ATM-1", 9000); err != nil {
		t.Fatalf("ReverseVA(R1, what the wallet holds) = %v", err)
	}
	h.checkLedger()
}

// Parallel reversals of one payment under distinct refids never take
// back more than it credited; the same refid sent in parallel reverses
// once.
func TestReverseVAConcurrent(t *testing.T) {
	h := newPartnerHarness(t, nil)
	pay := h.payVA("ATM-1", 100000)
	const n = 50
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ids  = map[int64]bool{}
		errs = map[string]int{}
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refid := "SAME"
			if i%2 == 1 {
				refid = fmt.Sprintf("R-%d", i)
			}
			res, err := h.reverse(refid, "ATM-1", 30000)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[smsgw.ErrorCode(err)]++
				return
			}
			ids[res.Request.ID] = true
		}()
	}
	wg.Wait()
	if len(ids) != 3 || errs[smsgw.EConflict] != n/2-2 || len(errs) != 1 {
		t.Fatalf("%d reversals, refusals %v; want 3 reversals of Rp30.000 and %d conflicts", len(ids), errs, n/2-2)
	}
	if got := h.balance(ipayAcct); got != 10000 {
		t.Errorf("wallet = %v, want 10000", got)
	}
	var done domain.Amount
	if err := h.store.View(t.Context(), func(tx smsgw.Tx) (err error) {
		done, _, err = tx.Reversed(pay.TransferID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if done != 90000 {
		t.Errorf("reversed = %v, want 90000", done)
	}
	h.checkLedger()
}

// A bank reversal and an operator's correction share what remains of the
// payment: the one approved later finds less than it asked for.
func TestReverseVAAndCorrection(t *testing.T) {
	h := newPartnerHarness(t, nil)
	pay := h.payVA("ATM-1", 100000)
	c, err := h.gw.RequestCorrection(t.Context(), operator, smsgw.CorrectionRequest{TransferID: pay.TransferID, Reason: "double credit"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.reverse("REV-1", "ATM-1", 0); err != nil {
		t.Fatalf("ReverseVA with a correction waiting = %v", err)
	}
	_, err = h.gw.ApproveCorrection(t.Context(), smsgw.Actor{Name: "checker", Role: "admin"}, c.ID)
	wantPartnerCode(t, "ApproveCorrection after the bank's reversal", err, smsgw.EConflict)
	if got := h.balance(ipayAcct); got != 0 {
		t.Errorf("wallet = %v, want 0", got)
	}
	h.checkLedger()
}
