package storetest

import (
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// TestCorrections is the contract of smsgw.CorrectionStore and of
// reversing transfers (Transfer.ReversesID).
func TestCorrections(t *testing.T, open func(t *testing.T) smsgw.Store) {
	run(t, open, correctionTests)
}

var correctionTests = []test{
	{"Corrections/Lifecycle", testCorrectionLifecycle},
	{"Corrections/Reversed", testCorrectionReversed},
}

func newCorrection(transfer int64, key string, amount int64) *smsgw.Correction {
	return &smsgw.Correction{Kind: smsgw.CorrectionReversal, TransferID: transfer, Amount: domain.Amount(amount), Reason: "test",
		IdempotencyKey: key, Maker: "ana", CreatedAt: t0, ExpiresAt: at(time.Hour)}
}

func testCorrectionLifecycle(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	tr := newTransfer("t1", settlement, walletA, 50000)
	mustTransfer(t, s, tr)
	c := newCorrection(tr.ID, "k1", 20000)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCorrection(c) })
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "CreateCorrection(same key)", tx.CreateCorrection(newCorrection(tr.ID, "k1", 1000)), smsgw.EConflict)
		wantCode(t, "CreateCorrection(no reason)", tx.CreateCorrection(&smsgw.Correction{Kind: smsgw.CorrectionReversal,
			TransferID: tr.ID, Amount: 1, IdempotencyKey: "k9", Maker: "a", ExpiresAt: at(time.Hour)}), smsgw.EInvalid)
		got, err := tx.CorrectionByKey("k1")
		if err != nil {
			return err
		}
		same(t, "CorrectionByKey", got, c)
		_, err = tx.Correction(c.ID + 100)
		wantCode(t, "Correction(unknown)", err, smsgw.ENotFound)
		return nil
	})
	// Due at its expiry, not before.
	MustView(t, s, func(tx smsgw.Tx) error {
		due, err := tx.DueCorrections(at(59*time.Minute), 10)
		if len(due) != 0 {
			t.Errorf("due before its expiry: %+v", due)
		}
		if err != nil {
			return err
		}
		due, err = tx.DueCorrections(at(time.Hour), 10)
		if len(due) != 1 || due[0].ID != c.ID {
			t.Errorf("due at its expiry: %+v", due)
		}
		return err
	})
	rev := newTransfer("rev1", walletA, settlement, 20000)
	rev.Kind, rev.ReversesID = smsgw.TransferReversal, tr.ID
	decided := at(time.Minute)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.Transfer(rev); err != nil {
			return err
		}
		c.State, c.Checker, c.ResultTransferID, c.DecidedAt = smsgw.CorrectionApproved, "budi", rev.ID, &decided
		return tx.DecideCorrection(c)
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		again := *c
		again.State, again.Checker, again.Note = smsgw.CorrectionRejected, "budi", "late"
		wantCode(t, "DecideCorrection(decided)", tx.DecideCorrection(&again), smsgw.EConflict)
		got, err := tx.Correction(c.ID)
		if err != nil {
			return err
		}
		same(t, "Correction after approval", got, c)
		list, err := tx.Corrections(smsgw.CorrectionFilter{State: smsgw.CorrectionApproved})
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].ID != c.ID {
			t.Errorf("Corrections(approved) = %+v", list)
		}
		back, err := tx.TransferByID(rev.ID)
		if err != nil {
			return err
		}
		if back.ReversesID != tr.ID {
			t.Errorf("reversal transfer ReversesID = %d, want %d", back.ReversesID, tr.ID)
		}
		return nil
	})
}

func testCorrectionReversed(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	tr := newTransfer("t1", settlement, walletA, 50000)
	mustTransfer(t, s, tr)
	rev := newTransfer("rev1", walletA, settlement, 10000)
	rev.Kind, rev.ReversesID = smsgw.TransferReversal, tr.ID
	mustTransfer(t, s, rev)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.CreateCorrection(newCorrection(tr.ID, "open", 15000)); err != nil {
			return err
		}
		rejected := newCorrection(tr.ID, "rejected", 5000)
		if err := tx.CreateCorrection(rejected); err != nil {
			return err
		}
		rejected.State, rejected.Checker, rejected.Note = smsgw.CorrectionRejected, "budi", "no"
		return tx.DecideCorrection(rejected)
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		done, open, err := tx.Reversed(tr.ID)
		if done != 10000 || open != 15000 {
			t.Errorf("Reversed = %d done, %d open; want 10000, 15000", done, open)
		}
		return err
	})
}
