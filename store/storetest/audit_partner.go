package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

func testPartnerRequestByTransfer(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mustTransfer(t, s, newTransfer("fund", settlement, deposit, 100_000))
	tr := newTransfer("h2h:p1:ref-1", deposit, walletA, 50_000)
	other := newTransfer("other", settlement, walletB, 50_000)
	mustTransfer(t, s, tr)
	mustTransfer(t, s, other)
	r := newPartnerRequest("p1", "ref-1", partner.Success, t0)
	r.Mode, r.TransferID, r.TransferKey, r.SN = partner.ModeImmediate, tr.ID, tr.IdempotencyKey, "H2H1"
	mustPartnerRequest(t, s, r)
	mustPartnerRequest(t, s, newPartnerRequest("p1", "ref-2", partner.Pending, t0))
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.PartnerRequestByTransfer(tr.ID)
		if err != nil {
			return err
		}
		same(t, "PartnerRequestByTransfer", got, r)
		_, err = tx.PartnerRequestByTransfer(other.ID)
		wantCode(t, "PartnerRequestByTransfer(transfer of no request)", err, smsgw.ENotFound)
		_, err = tx.PartnerRequestByTransfer(9999)
		wantCode(t, "PartnerRequestByTransfer(unknown)", err, smsgw.ENotFound)
		return nil
	})
}

func testPartnerSummary(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	reqs := []*partner.Request{
		newPartnerRequest("p1", "before", partner.Failed, at(-time.Second)),
		newPartnerRequest("p1", "a", partner.Failed, t0),
		newPartnerRequest("p1", "b", partner.Failed, at(time.Minute)),
		newPartnerRequest("p2", "c", partner.Pending, at(2*time.Minute)),
		newPartnerRequest("p2", "d", partner.Unknown, at(3*time.Minute)),
		newPartnerRequest("p2", "after", partner.Pending, at(time.Hour)),
	}
	for _, r := range reqs {
		mustPartnerRequest(t, s, r)
	}
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		for _, r := range reqs[:3] {
			if err := tx.EnqueueCallback(&partner.Callback{RequestID: r.ID, Partner: r.Partner, Deadline: at(time.Hour), CreatedAt: t0}); err != nil {
				return err
			}
		}
		cs, err := tx.Callbacks(partner.CallbackFilter{})
		if err != nil {
			return err
		}
		if len(cs) != 3 {
			return fmt.Errorf("Callbacks = %d rows, want 3", len(cs))
		}
		// Newest first: one sent, one dead, one still queued.
		if err := tx.MarkCallbackSent(cs[0].ID, at(time.Minute)); err != nil {
			return err
		}
		return tx.MarkCallbackDead(cs[1].ID, "timeout", at(time.Minute))
	})
	var got partner.Summary
	mustPartnerView(t, s, func(tx partner.Tx) (err error) {
		got, err = tx.PartnerSummary(t0, at(time.Hour))
		return err
	})
	want := partner.Summary{
		Requests:  map[partner.State]int{partner.Failed: 2, partner.Pending: 1, partner.Unknown: 1},
		Callbacks: map[string]int{partner.CallbackQueued: 1, partner.CallbackDead: 1}, // sent ones are not counted
	}
	same(t, "PartnerSummary(t0, +1h)", got, want)
	mustPartnerView(t, s, func(tx partner.Tx) (err error) {
		got, err = tx.PartnerSummary(at(2*time.Hour), at(3*time.Hour))
		return err
	})
	if len(got.Requests) != 0 || got.Requests == nil || got.Callbacks[partner.CallbackDead] != 1 {
		t.Errorf("PartnerSummary(empty period) = %+v, want no requests (an empty map) and the callbacks", got)
	}
}

// testPartnerTransaction checks the timeline of a PIN session opened by a
// partner request (confirm mode) and of an immediate partner credit.
func testPartnerTransaction(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mustTransfer(t, s, newTransfer("fund", settlement, deposit, 100_000))
	var (
		sess            *smsgw.Session
		prompt, result  *smsgw.Message
		credit, instant *smsgw.Transfer
		confirm, direct *partner.Request
		cb              *partner.Callback
	)
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		sess = newSession(msisdnA, 50_000, t0)
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		confirm = newPartnerRequest("p1", "conf-1", partner.Pending, t0)
		confirm.SessionID = sess.ID
		if err := tx.CreatePartnerRequest(confirm); err != nil {
			return err
		}
		prompt = newMT(msisdnA, "PIN?", t0)
		prompt.ShortCode, prompt.Template, prompt.SessionID = "3355", smsgw.ReplyPINPrompt, sess.ID
		return tx.EnqueueMT(prompt)
	})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		now := at(time.Minute)
		credit = newTransfer(fmt.Sprintf("session:%d", sess.ID), settlement, walletA, 50_000)
		credit.Kind, credit.SessionID, credit.CreatedAt = smsgw.TransferSMSTopUp, sess.ID, now
		if err := tx.Transfer(credit); err != nil {
			return err
		}
		sess.State, sess.ResolvedAt, sess.TransferID = smsgw.StateConfirmed, ptr(now), credit.ID
		if err := tx.ResolveSession(sess); err != nil {
			return err
		}
		confirm.State, confirm.TransferID, confirm.ResolvedAt, confirm.UpdatedAt = partner.Success, credit.ID, ptr(now), now
		if err := tx.ResolvePartnerRequest(confirm); err != nil {
			return err
		}
		cb = &partner.Callback{RequestID: confirm.ID, Partner: "p1", NextAttempt: now, Deadline: at(time.Hour), CreatedAt: now}
		if err := tx.EnqueueCallback(cb); err != nil {
			return err
		}
		result = newMT(msisdnA, "BERHASIL", now)
		result.ShortCode, result.Template, result.SessionID, result.TransferID = "3355", smsgw.ReplySuccess, sess.ID, credit.ID
		return tx.EnqueueMT(result)
	})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error { return tx.MarkCallbackSent(cb.ID, at(2*time.Minute)) })
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		now := at(3 * time.Minute)
		instant = newTransfer("h2h:p1:now-1", deposit, walletB, 50_000)
		instant.Kind, instant.CreatedAt = partner.TransferH2H, now
		if err := tx.Transfer(instant); err != nil {
			return err
		}
		direct = newPartnerRequest("p1", "now-1", partner.Success, now)
		direct.Mode, direct.Dest, direct.TransferID, direct.TransferKey = partner.ModeImmediate, msisdnB, instant.ID, instant.IdempotencyKey
		return tx.CreatePartnerRequest(direct)
	})

	type step struct {
		Kind string
		ID   int64 // message, transfer, partner request or callback id
	}
	summarize := func(txn *report.Transaction) []step {
		var out []step
		for _, st := range txn.Steps {
			switch {
			case st.Message != nil:
				out = append(out, step{st.Kind, st.Message.ID})
			case st.Transfer != nil:
				out = append(out, step{st.Kind, st.Transfer.ID})
			case st.Partner != nil:
				out = append(out, step{st.Kind, st.Partner.ID})
			case st.Callback != nil:
				out = append(out, step{st.Kind, st.Callback.ID})
			default:
				out = append(out, step{st.Kind, 0})
			}
		}
		return out
	}
	var txn, byTransfer, direct1 *report.Transaction
	mustPartnerView(t, s, func(tx partner.Tx) (err error) {
		if txn, err = report.LoadTransaction(tx, sess.ID); err != nil {
			return err
		}
		if byTransfer, err = report.LoadTransferTransaction(tx, credit.ID); err != nil {
			return err
		}
		direct1, err = report.LoadTransferTransaction(tx, instant.ID)
		return err
	})
	want := []step{
		{report.StepPartnerRequest, confirm.ID},
		{report.StepPINPrompt, prompt.ID},
		{report.StepTransfer, credit.ID},
		{report.StepResolved, 0},
		{report.StepPartnerResult, confirm.ID},
		{report.StepResult, result.ID},
		{report.StepCallback, cb.ID},
		{report.StepCallbackSent, cb.ID},
	}
	same(t, "LoadTransaction(partner session) steps", summarize(txn), want)
	if txn.Partner == nil || txn.Partner.ID != confirm.ID || len(txn.Callbacks) != 1 || txn.Callbacks[0].Status != partner.CallbackSent {
		t.Errorf("LoadTransaction(partner session) partner %+v callbacks %+v, want request %d with its sent callback", txn.Partner, txn.Callbacks, confirm.ID)
	}
	same(t, "LoadTransferTransaction(partner session's credit) steps", summarize(byTransfer), want)
	wantDirect := []step{
		{report.StepPartnerRequest, direct.ID},
		{report.StepTransfer, instant.ID},
		{report.StepPartnerResult, direct.ID},
	}
	same(t, "LoadTransferTransaction(immediate credit) steps", summarize(direct1), wantDirect)
	if direct1.Session != nil || direct1.Partner == nil || direct1.Partner.RefID != "now-1" || len(direct1.Callbacks) != 0 {
		t.Errorf("LoadTransferTransaction(immediate credit) = session %+v partner %+v callbacks %+v", direct1.Session, direct1.Partner, direct1.Callbacks)
	}
}
