package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// auditTests are the contract of smsgw.AuditStore and smsgw.ReportStore:
// the audit trail and the queries behind the operator views.
func auditTests() []struct {
	name string
	fn   func(*testing.T, smsgw.Store)
} {
	return []struct {
		name string
		fn   func(*testing.T, smsgw.Store)
	}{
		{"Audit/AppendList", testAuditAppendList},
		{"Audit/Invalid", testAuditInvalid},
		{"Audit/CustomerList", testCustomerListFilter},
		{"Audit/Traffic", testTraffic},
		{"Audit/Credits", testCredits},
		{"Audit/MessageParts", testMessageParts},
		{"Audit/TransferEntries", testTransferEntries},
		{"Audit/Ledger", testLedger},
		{"Audit/Transaction", testTransaction},
		{"Audit/PartnerByTransfer", testPartnerRequestByTransfer},
		{"Audit/PartnerSummary", testPartnerSummary},
		{"Audit/PartnerTransaction", testPartnerTransaction},
	}
}

func testAuditAppendList(t *testing.T, s smsgw.Store) {
	entries := []*smsgw.AuditEntry{
		{At: t0, Actor: "ana", Role: "admin", Action: smsgw.ActionCustomerLock, Target: "628110000001", Detail: "locked", Remote: "10.0.0.1"},
		{At: at(time.Minute), Actor: "budi", Role: "admin", Action: smsgw.ActionCustomerUnlock, Target: "628110000001"},
		{At: at(2 * time.Minute), Actor: "ana", Role: "admin", Action: smsgw.ActionBindSuspend, Target: "smsc1"},
		{At: at(3 * time.Minute), Actor: "ana", Role: "viewer", Action: smsgw.ActionLogin},
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, e := range entries {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
			if e.ID == 0 {
				return fmt.Errorf("AppendAudit(%s) left ID 0", e.Action)
			}
		}
		return nil
	})
	var noTime smsgw.AuditEntry
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		noTime = smsgw.AuditEntry{Actor: "cli", Action: smsgw.ActionCustomerResetPIN, Target: "628110000002"}
		return tx.AppendAudit(&noTime)
	})
	if noTime.At.IsZero() {
		t.Errorf("AppendAudit with zero At left At zero, want the store's clock")
	}
	id := func(i int) int64 { return entries[i].ID }
	tests := []struct {
		name string
		f    smsgw.AuditFilter
		want []int64
	}{
		{"all", smsgw.AuditFilter{Until: at(time.Hour)}, []int64{id(3), id(2), id(1), id(0)}},
		{"actor", smsgw.AuditFilter{Actor: "ana"}, []int64{id(3), id(2), id(0)}},
		{"action", smsgw.AuditFilter{Action: smsgw.ActionCustomerUnlock}, []int64{id(1)}},
		{"target", smsgw.AuditFilter{Target: "628110000001"}, []int64{id(1), id(0)}},
		{"since inclusive", smsgw.AuditFilter{Since: at(2 * time.Minute), Until: at(time.Hour)}, []int64{id(3), id(2)}},
		{"until exclusive", smsgw.AuditFilter{Until: at(time.Minute)}, []int64{id(0)}},
		{"limit offset", smsgw.AuditFilter{Until: at(time.Hour), Limit: 2, Offset: 1}, []int64{id(2), id(1)}},
		{"none", smsgw.AuditFilter{Actor: "x' OR '1'='1"}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []smsgw.AuditEntry
			MustView(t, s, func(tx smsgw.Tx) (err error) {
				got, err = tx.AuditTrail(tc.f)
				return err
			})
			same(t, fmt.Sprintf("AuditTrail(%+v) ids", tc.f), ids(got, func(e smsgw.AuditEntry) int64 { return e.ID }), tc.want)
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.AuditTrail(smsgw.AuditFilter{Action: smsgw.ActionCustomerLock})
		if err != nil {
			return err
		}
		same(t, "AuditTrail(lock)", got, []smsgw.AuditEntry{*entries[0]})
		return nil
	})
}

func testAuditInvalid(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "AppendAudit(no actor)", tx.AppendAudit(&smsgw.AuditEntry{Action: smsgw.ActionLogin}), smsgw.EInvalid)
		wantCode(t, "AppendAudit(no action)", tx.AppendAudit(&smsgw.AuditEntry{Actor: "ana"}), smsgw.EInvalid)
		return nil
	})
	err := s.View(t.Context(), func(tx smsgw.Tx) error {
		return tx.AppendAudit(&smsgw.AuditEntry{Actor: "ana", Action: smsgw.ActionLogin})
	})
	if err == nil {
		t.Errorf("AppendAudit inside View = nil, want an error")
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.AuditTrail(smsgw.AuditFilter{})
		if err != nil {
			return err
		}
		if len(got) != 0 {
			t.Errorf("AuditTrail after refused appends = %+v, want none", got)
		}
		return nil
	})
}

func testCustomerListFilter(t *testing.T, s smsgw.Store) {
	ms := []smsgw.MSISDN{"628110000001", "628110000002", "628120000003", "628120000004"}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for i, m := range ms {
			c := newCustomer(m)
			switch i {
			case 1:
				c.LockedUntil = ptr(at(time.Hour)) // locked at t0
			case 2:
				c.LockedUntil = ptr(at(-time.Hour)) // lock over at t0
			case 3:
				c.LockedUntil = ptr(t0) // ends exactly at t0: not locked
			}
			if err := tx.CreateCustomer(c); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name string
		f    smsgw.CustomerFilter
		want []smsgw.MSISDN
	}{
		{"all", smsgw.CustomerFilter{}, ms},
		{"prefix", smsgw.CustomerFilter{MSISDNPrefix: "62812"}, ms[2:]},
		{"full number", smsgw.CustomerFilter{MSISDNPrefix: "628110000002"}, ms[1:2]},
		{"wildcard is literal", smsgw.CustomerFilter{MSISDNPrefix: "6281%"}, nil},
		{"locked", smsgw.CustomerFilter{LockedAt: t0}, ms[1:2]},
		{"locked earlier", smsgw.CustomerFilter{LockedAt: at(-2 * time.Hour)}, ms[1:]},
		{"page", smsgw.CustomerFilter{Limit: 2, Offset: 1}, ms[1:3]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []smsgw.Customer
			MustView(t, s, func(tx smsgw.Tx) (err error) {
				got, err = tx.CustomerList(tc.f)
				return err
			})
			var gotMS []smsgw.MSISDN
			for _, c := range got {
				gotMS = append(gotMS, c.MSISDN)
			}
			same(t, fmt.Sprintf("CustomerList(%+v)", tc.f), gotMS, tc.want)
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.CustomerList(smsgw.CustomerFilter{MSISDNPrefix: string(ms[1])})
		if err != nil {
			return err
		}
		want := newCustomer(ms[1])
		want.LockedUntil = ptr(at(time.Hour))
		same(t, "CustomerList(one)", got, []smsgw.Customer{*want})
		return nil
	})
}

func testTraffic(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for i, d := range []time.Duration{-time.Second, 0, 30 * time.Second, 59 * time.Second, 3 * time.Minute, 10 * time.Minute} {
			if err := tx.InsertMO(newMO(msisdnA, fmt.Sprintf("t:%d", i), "SALDO", at(d)), nil); err != nil {
				return err
			}
		}
		for _, d := range []time.Duration{time.Second, 3*time.Minute + 5*time.Second, 3*time.Minute + 6*time.Second} {
			if err := tx.EnqueueMT(newMT(msisdnA, "x", at(d))); err != nil {
				return err
			}
		}
		return nil
	})
	var got []smsgw.TrafficPoint
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Traffic(t0, at(10*time.Minute))
		return err
	})
	want := []smsgw.TrafficPoint{
		{Minute: t0, MO: 3, MT: 1},
		{Minute: at(3 * time.Minute), MO: 1, MT: 2},
	}
	same(t, "Traffic(t0, t0+10m)", got, want)
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Traffic(at(time.Hour), at(2*time.Hour))
		return err
	})
	if len(got) != 0 {
		t.Errorf("Traffic(empty window) = %+v, want none", got)
	}
}

func testCredits(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	for i, tr := range []*smsgw.Transfer{
		newTransfer("c:0", settlement, walletA, 50_000),
		newTransfer("c:1", settlement, walletB, 75_000),
		newTransfer("c:2", settlement, deposit, 1_000_000), // not a wallet
		newTransfer("c:3", deposit, walletA, 100_000),
		newTransfer("c:4", walletA, walletB, 10_000),
		newTransfer("c:5", settlement, walletA, 20_000), // outside the window
	} {
		switch i {
		case 0, 1:
			tr.Kind = smsgw.TransferSMSTopUp
		case 3:
			tr.Kind = smsgw.TransferH2H
		case 5:
			tr.CreatedAt = at(24 * time.Hour)
		}
		mustTransfer(t, s, tr)
	}
	var got []smsgw.CreditTotal
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Credits(t0, at(24*time.Hour))
		return err
	})
	want := []smsgw.CreditTotal{
		{Kind: smsgw.TransferBankVA, Count: 1, Amount: 10_000},
		{Kind: smsgw.TransferH2H, Count: 1, Amount: 100_000},
		{Kind: smsgw.TransferSMSTopUp, Count: 2, Amount: 125_000},
	}
	same(t, "Credits(t0, t0+24h)", got, want)
}

func testMessageParts(t *testing.T, s smsgw.Store) {
	mt := newMT(msisdnA, "long", t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.EnqueueMT(mt); err != nil {
			return err
		}
		return tx.MarkMTSent(mt.ID, []string{"A1", "A2"}, t0)
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		return tx.UpdateDLR("A2", smsgw.MsgDelivered, "000", at(time.Minute))
	})
	var got []smsgw.MessagePart
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.MessageParts(mt.ID)
		return err
	})
	want := []smsgw.MessagePart{
		{Part: 0, SMSCID: "A1"},
		{Part: 1, SMSCID: "A2", DLRState: smsgw.MsgDelivered, DLRError: "000", DLRAt: ptr(at(time.Minute))},
	}
	same(t, "MessageParts", got, want)
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.MessageParts(mt.ID + 100)
		return err
	})
	if len(got) != 0 {
		t.Errorf("MessageParts(unknown) = %+v, want none", got)
	}
}

func testTransferEntries(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	tr := newTransfer("e:1", settlement, walletA, 50_000)
	mustTransfer(t, s, tr)
	var got []smsgw.Entry
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.TransferEntries(tr.ID)
		return err
	})
	if len(got) != 2 {
		t.Fatalf("TransferEntries = %+v, want 2 entries", got)
	}
	if got[0].Account != settlement || got[0].Amount != -50_000 || got[0].BalanceAfter != -50_000 {
		t.Errorf("TransferEntries[0] = %+v, want the settlement debit of 50000", got[0])
	}
	if got[1].Account != walletA || got[1].Amount != 50_000 || got[1].BalanceAfter != 50_000 || got[1].TransferID != tr.ID {
		t.Errorf("TransferEntries[1] = %+v, want the wallet credit of 50000", got[1])
	}
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.TransferEntries(tr.ID + 100)
		return err
	})
	if len(got) != 0 {
		t.Errorf("TransferEntries(unknown) = %+v, want none", got)
	}
}

func testLedger(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	trs := []*smsgw.Transfer{
		newTransfer("l:0", settlement, walletA, 50_000),
		newTransfer("l:1", settlement, walletB, 70_000),
		newTransfer("l:2", walletA, walletB, 20_000),
		newTransfer("l:3", settlement, walletA, 100_000),
	}
	for i, tr := range trs {
		tr.CreatedAt = at(time.Duration(i) * time.Hour)
		mustTransfer(t, s, tr)
	}
	var got []smsgw.LedgerLine
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Ledger(smsgw.LedgerFilter{Account: walletA})
		return err
	})
	type line struct {
		Transfer           int64
		Amount, After, Sum smsgw.Amount
		Counterparty       smsgw.AccountID
		Kind, Reference    string
		CreatedAt          time.Time
	}
	summarize := func(ls []smsgw.LedgerLine) []line {
		out := []line{}
		for _, l := range ls {
			if l.Account != walletA {
				t.Errorf("Ledger(walletA) line %+v is of another account", l)
			}
			out = append(out, line{l.TransferID, l.Amount, l.BalanceAfter, l.RunningSum, l.Counterparty, l.Kind, l.Reference, l.CreatedAt})
		}
		return out
	}
	want := []line{
		{trs[3].ID, 100_000, 130_000, 130_000, settlement, smsgw.TransferBankVA, "ref:l:3", at(3 * time.Hour)},
		{trs[2].ID, -20_000, 30_000, 30_000, walletB, smsgw.TransferBankVA, "ref:l:2", at(2 * time.Hour)},
		{trs[0].ID, 50_000, 50_000, 50_000, settlement, smsgw.TransferBankVA, "ref:l:0", t0},
	}
	same(t, "Ledger(walletA)", summarize(got), want)

	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Ledger(smsgw.LedgerFilter{Account: walletA, Since: at(time.Hour), Until: at(3 * time.Hour)})
		return err
	})
	same(t, "Ledger(walletA, 1h..3h)", summarize(got), want[1:2])
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Ledger(smsgw.LedgerFilter{Account: walletA, Limit: 1, Offset: 1})
		return err
	})
	same(t, "Ledger(walletA, page 2 of 1)", summarize(got), want[1:2])
	MustView(t, s, func(tx smsgw.Tx) error {
		_, err := tx.Ledger(smsgw.LedgerFilter{})
		wantCode(t, "Ledger(no account)", err, smsgw.EInvalid)
		ls, err := tx.Ledger(smsgw.LedgerFilter{Account: "wallet:none"})
		if err != nil || len(ls) != 0 {
			t.Errorf("Ledger(unknown account) = %+v, %v, want none", ls, err)
		}
		return nil
	})
}

// testTransaction builds a PIN top-up the way the gateway records it and
// checks the timeline report.LoadTransaction reads back.
func testTransaction(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	var sess *smsgw.Session
	var tr *smsgw.Transfer
	var request, prompt, wrong, wrongReply, pin, result *smsgw.Message
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		request = newMO(msisdnA, "x:1", "IM2PAY 08110000001 50000", t0)
		if err := tx.InsertMO(request, nil); err != nil {
			return err
		}
		sess = newSession(msisdnA, 50_000, t0)
		sess.RequestMessage = request.ID
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		if err := tx.FinishMO(request.ID, "IM2PAY", sess.ID, 0); err != nil {
			return err
		}
		prompt = newMT(msisdnA, "PIN?", t0)
		prompt.ShortCode, prompt.Keyword, prompt.SessionID = "3355", smsgw.ReplyPINPrompt, sess.ID
		if err := tx.EnqueueMT(prompt); err != nil {
			return err
		}
		if err := tx.MarkMTSent(prompt.ID, []string{"P1"}, at(time.Second)); err != nil {
			return err
		}
		if err := tx.UpdateDLR("P1", smsgw.MsgDelivered, "", at(2*time.Second)); err != nil {
			return err
		}
		wrong = newMO(msisdnA, "x:2", "****", at(time.Minute))
		wrong.ShortCode, wrong.Keyword = "3355", "PIN_REPLY"
		if err := tx.InsertMO(wrong, nil); err != nil {
			return err
		}
		if err := tx.FinishMO(wrong.ID, "PIN_REPLY", sess.ID, 0); err != nil {
			return err
		}
		wrongReply = newMT(msisdnA, "PIN salah", at(time.Minute))
		wrongReply.ShortCode, wrongReply.Keyword, wrongReply.SessionID = "3355", smsgw.ReplyWrongPIN, sess.ID
		if err := tx.EnqueueMT(wrongReply); err != nil {
			return err
		}
		pin = newMO(msisdnA, "x:3", "****", at(2*time.Minute))
		pin.ShortCode, pin.Keyword = "3355", "PIN_REPLY"
		if err := tx.InsertMO(pin, nil); err != nil {
			return err
		}
		tr = newTransfer(fmt.Sprintf("session:%d", sess.ID), settlement, walletA, 50_000)
		tr.Kind, tr.SessionID, tr.MessageID, tr.CreatedAt = smsgw.TransferSMSTopUp, sess.ID, request.ID, at(2*time.Minute)
		if err := tx.Transfer(tr); err != nil {
			return err
		}
		sess.State, sess.ResolvedAt, sess.PINMessage, sess.TransferID = smsgw.StateConfirmed, ptr(at(2*time.Minute)), pin.ID, tr.ID
		if err := tx.ResolveSession(sess); err != nil {
			return err
		}
		result = newMT(msisdnA, "BERHASIL", at(2*time.Minute))
		result.ShortCode, result.Keyword, result.SessionID, result.TransferID = "3355", smsgw.ReplySuccess, sess.ID, tr.ID
		if err := tx.EnqueueMT(result); err != nil {
			return err
		}
		return tx.FinishMO(pin.ID, "PIN_REPLY", sess.ID, tr.ID)
	})
	var txn *report.Transaction
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		txn, err = report.LoadTransaction(tx, sess.ID)
		return err
	})
	type step struct {
		Kind string
		ID   int64 // message or transfer id
	}
	var got []step
	for _, st := range txn.Steps {
		switch {
		case st.Transfer != nil:
			got = append(got, step{st.Kind, st.Transfer.ID})
		case st.Message != nil:
			got = append(got, step{st.Kind, st.Message.ID})
		default:
			got = append(got, step{st.Kind, 0})
		}
	}
	want := []step{
		{report.StepMO, request.ID},
		{report.StepPINPrompt, prompt.ID},
		{report.StepReceipt, prompt.ID},
		{report.StepPIN, wrong.ID},
		{report.StepReply, wrongReply.ID},
		{report.StepPIN, pin.ID},
		{report.StepTransfer, tr.ID},
		{report.StepResolved, 0},
		{report.StepResult, result.ID},
	}
	same(t, "LoadTransaction steps", got, want)
	if txn.Transfer == nil || txn.Transfer.ID != tr.ID || len(txn.Entries) != 2 || txn.Entries[1].Account != walletA {
		t.Errorf("LoadTransaction transfer = %+v entries %+v, want transfer %d with its two entries", txn.Transfer, txn.Entries, tr.ID)
	}
	if len(txn.Messages) != 6 {
		t.Errorf("LoadTransaction has %d messages, want 6", len(txn.Messages))
	}

	var byTransfer *report.Transaction
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		byTransfer, err = report.LoadTransferTransaction(tx, tr.ID)
		return err
	})
	if byTransfer.Session == nil || byTransfer.Session.ID != sess.ID || len(byTransfer.Steps) != len(want) {
		t.Errorf("LoadTransferTransaction(%d) = session %+v with %d steps, want session %d's transaction", tr.ID, byTransfer.Session, len(byTransfer.Steps), sess.ID)
	}

	bank := newTransfer("bank:1", settlement, walletB, 10_000)
	mustTransfer(t, s, bank)
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := report.LoadTransferTransaction(tx, bank.ID)
		if err != nil {
			return err
		}
		if got.Session != nil || len(got.Steps) != 1 || got.Steps[0].Kind != report.StepTransfer {
			t.Errorf("LoadTransferTransaction(bank) = %+v, want one transfer step and no session", got)
		}
		_, err = report.LoadTransaction(tx, sess.ID+100)
		wantCode(t, "LoadTransaction(unknown)", err, smsgw.ENotFound)
		_, err = report.LoadTransferTransaction(tx, bank.ID+100)
		wantCode(t, "LoadTransferTransaction(unknown)", err, smsgw.ENotFound)
		return nil
	})
}
