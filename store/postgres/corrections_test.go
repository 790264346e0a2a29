package postgres

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
)

// On PostgreSQL, where writes run at once and conflicts are retried, 50
// requests with one key still make one correction and 50 concurrent
// approvals one reversal.
func TestCorrectionCannotDoubleOnPostgres(t *testing.T) {
	st := open(t)
	gw := smsgwtest.New(t, st, smsgwtest.WithCodes("9779", "3355"))
	partner.Register(gw) // a bank payment's credit is refundable
	ctx := t.Context()
	if err := gw.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := gw.AddWallet(ctx, "08110000009"); err != nil {
		t.Fatal(err)
	}
	orig := &smsgw.Transfer{IdempotencyKey: "bank:1", Kind: partner.TransferBankVA, From: gw.Settlement(),
		To: domain.WalletID("628110000009"), Amount: 100000, Reference: "B-1"}
	if err := st.Update(ctx, func(tx smsgw.Tx) error { return tx.Transfer(orig) }); err != nil {
		t.Fatal(err)
	}
	var (
		wg  sync.WaitGroup
		ids sync.Map
	)
	for range 50 {
		wg.Go(func() {
			c, err := gw.RequestCorrection(ctx, smsgw.Actor{Name: "ana"}, smsgw.CorrectionRequest{Kind: smsgw.CorrectionRefund,
				TransferID: orig.ID, Reason: "bank reversed it", Key: "ticket-9"})
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
			if _, err := gw.ApproveCorrection(ctx, smsgw.Actor{Name: "budi"}, id); err == nil {
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
	err := st.View(ctx, func(tx smsgw.Tx) error {
		acc, err := tx.Account(domain.WalletID("628110000009"))
		if err != nil {
			return err
		}
		sum, err := tx.LedgerSum()
		if acc.Balance != 0 || sum != 0 {
			t.Errorf("wallet %d, ledger sum %d; want 0 and 0 after one refund of 100.000", acc.Balance, sum)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
