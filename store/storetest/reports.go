package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// reportTests are the contract of smsgw.ReportStore: the read-only queries
// behind the operator console and smsgw audit (filters, summaries,
// per-transaction details) and the timeline report.LoadTransaction builds
// from them.
var reportTests = []test{
	{"Session/Filter", testSessionFilter},
	{"Message/Filter", testMessageFilter},
	{"Summary", testSummary},
	{"Audit/CustomerList", testCustomerListFilter},
	{"Audit/Traffic", testTraffic},
	{"Audit/Credits", testCredits},
	{"Audit/MessageParts", testMessageParts},
	{"Audit/TransferEntries", testTransferEntries},
	{"Audit/Ledger", testLedger},
	{"Audit/Transaction", testTransaction},
}

// TestReports runs reportTests as subtests; see Run for open.
func TestReports(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, reportTests) }

func testSessionFilter(t *testing.T, s smsgw.Store) {
	// Sessions, oldest first: A open, B expired, A cancelled, C confirmed(no transfer needed).
	var ss []*smsgw.Session
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		mk := func(m domain.MSISDN, created time.Duration, final smsgw.SessionState) error {
			sess := newSession(m, 10_000, at(created))
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
			if final != "" {
				sess.State, sess.ResolvedAt = final, ptr(at(created+time.Minute))
				if err := tx.ResolveSession(sess); err != nil {
					return err
				}
			}
			ss = append(ss, sess)
			return nil
		}
		if err := mk(msisdnA, 0, smsgw.StateCancelled); err != nil {
			return err
		}
		if err := mk(msisdnB, time.Minute, smsgw.StateExpired); err != nil {
			return err
		}
		if err := mk(msisdnA, 2*time.Minute, ""); err != nil {
			return err
		}
		return mk(msisdnC, 3*time.Minute, smsgw.StateFailed)
	})
	id := func(i int) int64 { return ss[i].ID }
	tests := []struct {
		name string
		f    smsgw.SessionFilter
		want []int64
	}{
		{"all", smsgw.SessionFilter{}, []int64{id(3), id(2), id(1), id(0)}},
		{"msisdn", smsgw.SessionFilter{MSISDN: msisdnA}, []int64{id(2), id(0)}},
		{"state", smsgw.SessionFilter{State: smsgw.StateExpired}, []int64{id(1)}},
		{"open", smsgw.SessionFilter{State: smsgw.StateAwaitingPIN}, []int64{id(2)}},
		{"since inclusive", smsgw.SessionFilter{Since: at(time.Minute)}, []int64{id(3), id(2), id(1)}},
		{"until exclusive", smsgw.SessionFilter{Until: at(2 * time.Minute)}, []int64{id(1), id(0)}},
		{"window", smsgw.SessionFilter{Since: at(time.Minute), Until: at(3 * time.Minute)}, []int64{id(2), id(1)}},
		{"limit", smsgw.SessionFilter{Limit: 2}, []int64{id(3), id(2)}},
		{"offset", smsgw.SessionFilter{Limit: 2, Offset: 1}, []int64{id(2), id(1)}},
		{"combined", smsgw.SessionFilter{MSISDN: msisdnA, State: smsgw.StateCancelled}, []int64{id(0)}},
		{"none", smsgw.SessionFilter{MSISDN: "628119999999"}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []smsgw.Session
			MustView(t, s, func(tx smsgw.Tx) (err error) {
				got, err = tx.Sessions(tc.f)
				return err
			})
			same(t, fmt.Sprintf("Sessions(%+v) ids", tc.f), sessionIDs(got), tc.want)
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Sessions(smsgw.SessionFilter{State: smsgw.StateExpired})
		if err != nil {
			return err
		}
		if len(got) == 1 {
			same(t, "Sessions(expired)[0]", got[0], *ss[1])
		}
		return nil
	})
}

func testMessageFilter(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	var m [4]*smsgw.Message
	var sess *smsgw.Session
	var tr *smsgw.Transfer
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		m[0] = newMO(msisdnA, "k:0", "IM2PAY 0811 50000", t0)
		if err := tx.InsertMO(m[0], nil); err != nil {
			return err
		}
		sess = newSession(msisdnA, 50_000, t0)
		sess.RequestMessage = m[0].ID
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		m[1] = newMT(msisdnA, "PIN?", at(time.Minute))
		m[1].Template, m[1].SessionID = "PIN_PROMPT", sess.ID
		if err := tx.EnqueueMT(m[1]); err != nil {
			return err
		}
		m[2] = newMO(msisdnB, "k:2", "****", at(2*time.Minute))
		m[2].ShortCode, m[2].Keyword = "3355", "PIN_REPLY"
		if err := tx.InsertMO(m[2], nil); err != nil {
			return err
		}
		tr = newTransfer("k:t", settlement, walletB, 10_000)
		if err := tx.Transfer(tr); err != nil {
			return err
		}
		m[3] = newMT(msisdnB, "OK", at(3*time.Minute))
		m[3].ShortCode, m[3].Template, m[3].TransferID = "3355", "SUCCESS", tr.ID
		return tx.EnqueueMT(m[3])
	})
	id := func(i int) int64 { return m[i].ID }
	tests := []struct {
		name string
		f    smsgw.MessageFilter
		want []int64
	}{
		{"all", smsgw.MessageFilter{}, []int64{id(3), id(2), id(1), id(0)}},
		{"msisdn", smsgw.MessageFilter{MSISDN: msisdnA}, []int64{id(1), id(0)}},
		{"short code", smsgw.MessageFilter{ShortCode: "3355"}, []int64{id(3), id(2)}},
		{"keyword", smsgw.MessageFilter{Keyword: "PIN_REPLY"}, []int64{id(2)}},
		{"template", smsgw.MessageFilter{Template: "PIN_PROMPT"}, []int64{id(1)}},
		{"keyword is not template", smsgw.MessageFilter{Keyword: "PIN_PROMPT"}, []int64{}},
		{"direction", smsgw.MessageFilter{Direction: smsgw.DirOut}, []int64{id(3), id(1)}},
		{"status", smsgw.MessageFilter{Status: smsgw.MsgReceived}, []int64{id(2), id(0)}},
		{"since inclusive", smsgw.MessageFilter{Since: at(time.Minute)}, []int64{id(3), id(2), id(1)}},
		{"until exclusive", smsgw.MessageFilter{Until: at(2 * time.Minute)}, []int64{id(1), id(0)}},
		{"session", smsgw.MessageFilter{SessionID: sess.ID}, []int64{id(1)}},
		{"transfer", smsgw.MessageFilter{TransferID: tr.ID}, []int64{id(3)}},
		{"limit", smsgw.MessageFilter{Limit: 2}, []int64{id(3), id(2)}},
		{"offset", smsgw.MessageFilter{Limit: 2, Offset: 1}, []int64{id(2), id(1)}},
		{"combined", smsgw.MessageFilter{MSISDN: msisdnB, Direction: smsgw.DirIn}, []int64{id(2)}},
		{"none", smsgw.MessageFilter{Keyword: "NOPE"}, []int64{}},
		{"quote in value", smsgw.MessageFilter{Keyword: "x' OR '1'='1"}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []smsgw.Message
			MustView(t, s, func(tx smsgw.Tx) (err error) {
				got, err = tx.Messages(tc.f)
				return err
			})
			same(t, fmt.Sprintf("Messages(%+v) ids", tc.f), msgIDs(got), tc.want)
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Messages(smsgw.MessageFilter{TransferID: tr.ID})
		if err != nil {
			return err
		}
		same(t, "Messages(transfer)", got, []smsgw.Message{*m[3]})
		return nil
	})
}

func testSummary(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	from, to := t0, at(24*time.Hour)
	type spec struct {
		msisdn  domain.MSISDN
		created time.Duration
		state   smsgw.SessionState
		amount  domain.Amount
	}
	specs := []spec{
		{"628110000001", -time.Hour, smsgw.StateConfirmed, 10_000}, // before the window
		{"628110000002", 0, smsgw.StateConfirmed, 50_000},          // first instant
		{"628110000003", time.Hour, smsgw.StateConfirmed, 75_000},
		{"628110000004", 2 * time.Hour, smsgw.StateExpired, 20_000},
		{"628110000005", 3 * time.Hour, smsgw.StateLocked, 20_000},
		{"628110000006", 4 * time.Hour, smsgw.StateExpired, 20_000},
		{"628110000007", 5 * time.Hour, "", 20_000},                    // still open
		{"628110000008", 24 * time.Hour, smsgw.StateConfirmed, 30_000}, // the window's end is exclusive
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for i, sp := range specs {
			sess := newSession(sp.msisdn, sp.amount, at(sp.created))
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
			if sp.state == "" {
				continue
			}
			if sp.state == smsgw.StateConfirmed {
				tr := newTransfer(fmt.Sprintf("session:%d", sess.ID), settlement, walletA, sp.amount)
				tr.SessionID = sess.ID
				if err := tx.Transfer(tr); err != nil {
					return err
				}
				sess.TransferID = tr.ID
			}
			sess.State, sess.ResolvedAt = sp.state, ptr(at(sp.created+time.Minute))
			if err := tx.ResolveSession(sess); err != nil {
				return fmt.Errorf("resolve %d: %w", i, err)
			}
		}
		msgs := []*smsgw.Message{
			newMO(msisdnA, "s:1", "x", at(-time.Second)),
			newMO(msisdnA, "s:2", "x", t0),
			newMO(msisdnA, "s:3", "x", at(time.Hour)),
			newMT(msisdnA, "x", at(time.Hour)),
			newMT(msisdnA, "x", at(24*time.Hour)),
		}
		for _, m := range msgs {
			var err error
			if m.Direction == smsgw.DirIn {
				err = tx.InsertMO(m, nil)
			} else {
				err = tx.EnqueueMT(m)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	var got smsgw.Summary
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Summary(from, to)
		return err
	})
	want := smsgw.Summary{
		From: from, To: to,
		ByState: map[smsgw.SessionState]int{
			smsgw.StateConfirmed: 2, smsgw.StateExpired: 2, smsgw.StateLocked: 1, smsgw.StateAwaitingPIN: 1,
		},
		Credited: 125_000, CreditedCount: 2, MOs: 2, MTs: 1,
	}
	same(t, "Summary(t0, t0+24h)", got, want)
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Summary(at(-48*time.Hour), at(-24*time.Hour))
		return err
	})
	same(t, "Summary(empty window)", got, smsgw.Summary{From: at(-48 * time.Hour), To: at(-24 * time.Hour), ByState: map[smsgw.SessionState]int{}})
}

func testCustomerListFilter(t *testing.T, s smsgw.Store) {
	ms := []domain.MSISDN{"628110000001", "628110000002", "628120000003", "628120000004"}
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
		want []domain.MSISDN
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
			var gotMS []domain.MSISDN
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
			tr.Kind = partner.TransferH2H
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
		{Kind: partner.TransferBankVA, Count: 1, Amount: 10_000},
		{Kind: partner.TransferH2H, Count: 1, Amount: 100_000},
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
		Amount, After, Sum domain.Amount
		Counterparty       domain.AccountID
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
		{trs[3].ID, 100_000, 130_000, 130_000, settlement, partner.TransferBankVA, "ref:l:3", at(3 * time.Hour)},
		{trs[2].ID, -20_000, 30_000, 30_000, walletB, partner.TransferBankVA, "ref:l:2", at(2 * time.Hour)},
		{trs[0].ID, 50_000, 50_000, 50_000, settlement, partner.TransferBankVA, "ref:l:0", t0},
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
		prompt.ShortCode, prompt.Template, prompt.SessionID = "3355", smsgw.ReplyPINPrompt, sess.ID
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
		wrongReply.ShortCode, wrongReply.Template, wrongReply.SessionID = "3355", smsgw.ReplyWrongPIN, sess.ID
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
		result.ShortCode, result.Template, result.SessionID, result.TransferID = "3355", smsgw.ReplySuccess, sess.ID, tr.ID
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
