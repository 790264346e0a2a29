package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// messageTests are the contract of smsgw.MessageStore: the SMS log, MO de-
// duplication and redelivery records, the inbox, the outbox and its depth,
// and delivery receipts.
var messageTests = []test{
	{"MO/InsertPending", testMOInsertPending},
	{"MO/Redelivery", testMORedelivery},
	{"MO/Finish", testMOFinish},
	{"MO/ProcessedAsStored", testMONow},
	{"MO/SetStatus", testMOSetStatus},
	{"MO/PurgeDedup", testPurgeDedup},
	{"MT/Outbox", testOutbox},
	{"MT/OutboxDepth", testOutboxDepth},
	{"MT/BulkQueued", testBulkQueued},
	{"MT/Claims", testClaims},
	{"MT/BulkLast", testBulkLast},
	{"MT/DLR", testDLR},
	{"MT/Routes", testRoutes},
}

// TestMessages runs messageTests as subtests; see Run for open.
func TestMessages(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, messageTests) }

func testMOInsertPending(t *testing.T, s smsgw.Store) {
	pin := newMO(msisdnA, "smsc:628110000001:abc", "****", t0)
	pin.ShortCode, pin.Keyword, pin.SMSCIDs = "3355", "PIN_REPLY", []string{"abc"}
	pin.Addr = smsgw.Address{Value: "08110000001", TON: 0, NPI: 1} // as the SMSC gave it
	secret := []byte{1, 2, 3, 0, 255}
	ussd := newMO(msisdnB, "text:ussd", "IM2PAY 0811 50000", at(time.Second))
	ussd.Channel, ussd.USSDSession = smsgw.ChannelUSSD, "ussd-42"
	ussd.Request = `{"kind":"pay","account":"628110000002","amount":50000}`
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.InsertMO(pin, secret); err != nil {
			return err
		}
		return tx.InsertMO(ussd, nil)
	})
	if pin.ID == 0 || ussd.ID == 0 || pin.ID == ussd.ID {
		t.Fatalf("InsertMO set IDs %d and %d, want two distinct IDs", pin.ID, ussd.ID)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(pin.ID)
		if err != nil {
			return err
		}
		same(t, "Message(pin)", got, pin)
		got, err = tx.Message(ussd.ID)
		if err != nil {
			return err
		}
		logged := *ussd
		logged.Request = "" // the request is kept with the inbox row only
		same(t, "Message(ussd)", got, &logged)
		_, err = tx.Message(ussd.ID + 100)
		wantCode(t, "Message(unknown)", err, smsgw.ENotFound)

		pending, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		same(t, "PendingMOs(10)", pending, []smsgw.InboundMO{{Message: *pin, Secret: secret}, {Message: *ussd}})
		pending, err = tx.PendingMOs(1)
		if err != nil {
			return err
		}
		same(t, "PendingMOs(1) ids", ids(pending, func(m smsgw.InboundMO) int64 { return m.ID }), []int64{pin.ID})
		return nil
	})
}

func testMORedelivery(t *testing.T, s smsgw.Store) {
	const key = "text:k"
	insert := func(m domain.MSISDN, key, link string, when time.Time) *smsgw.Message {
		t.Helper()
		mo := newMO(m, key, "SALDO", when)
		mo.Link = link
		MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMO(mo, nil) })
		return mo
	}
	candidates := func(key string, since time.Time) []smsgw.RedeliveryRecord {
		t.Helper()
		var got []smsgw.RedeliveryRecord
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			got, err = tx.RedeliveryCandidates(key, since)
			return err
		})
		return got
	}
	// Every MO is stored, the same key or not: deciding what is a
	// redelivery is the gateway's business.
	a := insert(msisdnA, key, "L1", t0)
	b := insert(msisdnA, key, "L1", at(time.Second))
	c := insert(msisdnA, key, "L2", at(2*time.Second))
	insert(msisdnA, "text:other", "L1", at(3*time.Second))
	noKey := insert(msisdnB, "", "L1", at(4*time.Second))
	if a.ID == b.ID || b.ID == c.ID {
		t.Fatalf("IDs %d, %d, %d; want distinct", a.ID, b.ID, c.ID)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		ps, err := tx.PendingMOs(10)
		if len(ps) != 5 {
			t.Errorf("PendingMOs() = %d rows, want 5", len(ps))
		}
		return err
	})
	want := []smsgw.RedeliveryRecord{
		{SMSID: a.ID, Key: key, Link: "L1", CreatedAt: t0},
		{SMSID: b.ID, Key: key, Link: "L1", CreatedAt: at(time.Second)},
		{SMSID: c.ID, Key: key, Link: "L2", CreatedAt: at(2 * time.Second)},
	}
	same(t, "RedeliveryCandidates(all)", candidates(key, t0), want)
	same(t, "RedeliveryCandidates(since t0+1s)", candidates(key, at(time.Second)), want[1:])
	if got := candidates("", t0); len(got) != 0 {
		t.Errorf("RedeliveryCandidates(\"\") = %+v, want none: an MO without key is not recorded", got)
	}
	_ = noKey

	// Lost marks the records whose link ended unconfirmed.
	var n int64
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.MarkMOsLost([]smsgw.RedeliveryRecord{
			{SMSID: b.ID, Link: "L1"}, {SMSID: c.ID, Link: "L2"},
			{SMSID: a.ID, Link: "L2"}, // another link: a's record is on L1
			{SMSID: noKey.ID, Link: "L1"},
		})
		return err
	})
	if n != 2 {
		t.Errorf("MarkMOsLost() = %d, want 2", n)
	}
	want[1].Lost, want[2].Lost = true, true
	same(t, "RedeliveryCandidates(after lost)", candidates(key, t0), want)

	// Relink follows a redelivery to its new link, open again; a late mark
	// for the old link leaves it open.
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.RelinkRedelivery(b.ID, "L3") })
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.MarkMOsLost([]smsgw.RedeliveryRecord{{SMSID: b.ID, Link: "L1"}})
		return err
	})
	if n != 0 {
		t.Errorf("MarkMOsLost(old link after relink) = %d, want 0", n)
	}
	want[1].Link, want[1].Lost = "L3", false
	same(t, "RedeliveryCandidates(after relink)", candidates(key, t0), want)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "RelinkRedelivery(unknown)", tx.RelinkRedelivery(noKey.ID, "L3"), smsgw.ENotFound)
		return nil
	})

	// Forget drops records (confirmed acknowledgements), not messages.
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.ForgetMOs([]int64{a.ID, c.ID, noKey.ID, c.ID + 1000})
		return err
	})
	if n != 2 {
		t.Errorf("ForgetMOs() = %d, want 2", n)
	}
	same(t, "RedeliveryCandidates(after forget)", candidates(key, t0), want[1:2])
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(a.ID)
		if err != nil {
			return err
		}
		wantMsg := *a
		wantMsg.Link = "" // the link is not part of the SMS log
		same(t, "Message(forgotten)", got, &wantMsg)
		return nil
	})

	// A rolled back insert leaves no record.
	rb := newMO(msisdnB, "text:rolled-back", "HELP", t0)
	rb.Link = "L1"
	err := s.Update(t.Context(), func(tx smsgw.Tx) error {
		if err := tx.InsertMO(rb, nil); err != nil {
			return err
		}
		return errors.New("abort")
	})
	if err == nil {
		t.Fatal("Update() = nil, want the abort error")
	}
	if got := candidates("text:rolled-back", t0); len(got) != 0 {
		t.Errorf("RedeliveryCandidates(rolled back) = %+v, want none", got)
	}
}

func testMOFinish(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mo := newMO(msisdnA, "k:1", "****", t0)
	other := newMO(msisdnB, "k:2", "HELP", at(time.Second))
	sess := newSession(msisdnA, 50_000, t0)
	tr := newTransfer("session:f", settlement, walletA, 50_000)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.InsertMO(mo, []byte("verifier")); err != nil {
			return err
		}
		if err := tx.InsertMO(other, nil); err != nil {
			return err
		}
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		return tx.Transfer(tr)
	})
	pending := func(id int64) bool {
		t.Helper()
		var ok bool
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			ok, err = tx.MOPending(id)
			return err
		})
		return ok
	}
	if !pending(mo.ID) {
		t.Error("MOPending(stored MO) = false, want true")
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.FinishMO(mo.ID, "PIN_REPLY", sess.ID, tr.ID) })
	if pending(mo.ID) {
		t.Error("MOPending(finished MO) = true, want false")
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		_, err := tx.MOPending(other.ID + 100)
		wantCode(t, "MOPending(unknown)", err, smsgw.ENotFound)
		return nil
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(mo.ID)
		if err != nil {
			return err
		}
		if got.Status != smsgw.MsgProcessed || got.Keyword != "PIN_REPLY" || got.SessionID != sess.ID || got.TransferID != tr.ID {
			t.Errorf("Message after FinishMO = status %q keyword %q session %d transfer %d; want %q %q %d %d",
				got.Status, got.Keyword, got.SessionID, got.TransferID, smsgw.MsgProcessed, "PIN_REPLY", sess.ID, tr.ID)
		}
		if got.Text != mo.Text || got.MSISDN != mo.MSISDN {
			t.Errorf("Message after FinishMO = text %q msisdn %q, want them unchanged", got.Text, got.MSISDN)
		}
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		same(t, "PendingMOs ids after FinishMO", ids(ps, func(m smsgw.InboundMO) int64 { return m.ID }), []int64{other.ID})
		return nil
	})
	// Zero links stay empty.
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.FinishMO(other.ID, "HELP", 0, 0) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(other.ID)
		if err != nil {
			return err
		}
		if got.SessionID != 0 || got.TransferID != 0 || got.Status != smsgw.MsgProcessed {
			t.Errorf("Message(other) after FinishMO(0, 0) = session %d transfer %d status %q", got.SessionID, got.TransferID, got.Status)
		}
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		if len(ps) != 0 {
			t.Errorf("PendingMOs() = %d rows, want none", len(ps))
		}
		return nil
	})
	mt := newMT(msisdnA, "hello", t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.EnqueueMT(mt) })
	tests := []struct {
		name string
		id   int64
		want string
	}{
		{"again", mo.ID, smsgw.EConflict},
		{"unknown", mt.ID + 100, smsgw.ENotFound},
		{"an MT", mt.ID, smsgw.ENotFound},
	}
	for _, tc := range tests {
		MustUpdate(t, s, func(tx smsgw.Tx) error {
			wantCode(t, "FinishMO("+tc.name+")", tx.FinishMO(tc.id, "X", 0, 0), tc.want)
			return nil
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(mo.ID)
		if err != nil {
			return err
		}
		if got.Keyword != "PIN_REPLY" || got.SessionID != sess.ID {
			t.Errorf("Message after refused FinishMO = keyword %q session %d, want unchanged", got.Keyword, got.SessionID)
		}
		return nil
	})
}

// testMONow: an MO processed in the transaction that stores it has no inbox
// row, is never pending, counts for nobody's backlog, and is finished once;
// rolled back, it leaves nothing.
func testMONow(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mo := newMO(msisdnA, "k:now", "SALDO", t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.InsertMONow(mo); err != nil {
			return err
		}
		if mo.ID == 0 {
			t.Error("InsertMONow left the ID 0")
		}
		// Unprocessed until FinishMO, in this transaction.
		n, err := tx.PendingMOCount(msisdnA)
		if err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("PendingMOCount after InsertMONow = %d, want 1", n)
		}
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		if len(ps) != 0 {
			t.Errorf("PendingMOs after InsertMONow = %d rows, want none", len(ps))
		}
		_, err = tx.MOPending(mo.ID)
		wantCode(t, "MOPending(processed as stored)", err, smsgw.ENotFound)
		if err := tx.FinishMO(mo.ID, "SALDO", 0, 0); err != nil {
			return err
		}
		if n, err = tx.PendingMOCount(msisdnA); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("PendingMOCount after FinishMO = %d, want 0", n)
		}
		return nil
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(mo.ID)
		if err != nil {
			return err
		}
		if got.Status != smsgw.MsgProcessed || got.Keyword != "SALDO" {
			t.Errorf("Message after FinishMO = status %q keyword %q, want %q SALDO", got.Status, got.Keyword, smsgw.MsgProcessed)
		}
		cands, err := tx.RedeliveryCandidates(mo.DedupKey, t0)
		if err != nil {
			return err
		}
		if len(cands) != 1 || cands[0].SMSID != mo.ID {
			t.Errorf("RedeliveryCandidates = %+v, want the MO's record", cands)
		}
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "FinishMO(again)", tx.FinishMO(mo.ID, "SALDO", 0, 0), smsgw.EConflict)
		return nil
	})
	// Rolled back with its processing: no row is left.
	abort := errors.New("processing failed")
	rb := newMO(msisdnB, "k:rolled", "SALDO", t0)
	if err := s.Update(context.Background(), func(tx smsgw.Tx) error {
		if err := tx.InsertMONow(rb); err != nil {
			return err
		}
		return abort
	}); !errors.Is(err, abort) {
		t.Fatalf("Update() = %v, want the abort error", err)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		n, err := tx.PendingMOCount(msisdnB)
		if err != nil {
			return err
		}
		cands, err := tx.RedeliveryCandidates("k:rolled", t0)
		if err != nil {
			return err
		}
		if n != 0 || len(cands) != 0 {
			t.Errorf("after a rolled-back InsertMONow: %d pending, %d redelivery records; want none", n, len(cands))
		}
		return nil
	})
}

func testPurgeDedup(t *testing.T, s smsgw.Store) {
	old := newMO(msisdnA, "k:old", "HELP", t0)
	recent := newMO(msisdnA, "k:recent", "HELP", at(10*time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.InsertMO(old, nil); err != nil {
			return err
		}
		return tx.InsertMO(recent, nil)
	})
	var n int64
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.PurgeDedup(at(10 * time.Minute))
		return err
	})
	if n != 1 {
		t.Errorf("PurgeDedup(t0+10m) = %d, want 1 (created before is exclusive)", n)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.RedeliveryCandidates("k:old", time.Time{})
		if len(got) != 0 {
			t.Errorf("RedeliveryCandidates(purged) = %+v, want none", got)
		}
		if err != nil {
			return err
		}
		if got, err = tx.RedeliveryCandidates("k:recent", time.Time{}); len(got) != 1 {
			t.Errorf("RedeliveryCandidates(kept) = %+v, want one", got)
		}
		if err != nil {
			return err
		}
		m, err := tx.Message(old.ID)
		if err != nil {
			return err
		}
		same(t, "Message(old) after purge", m, old)
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.PurgeDedup(at(time.Hour))
		return err
	})
	if n != 1 {
		t.Errorf("PurgeDedup(t0+1h) = %d, want 1", n)
	}
}

func testOutbox(t *testing.T, s smsgw.Store) {
	m1 := newMT(msisdnA, "one", t0)
	m2 := newMT(msisdnB, "two", at(10*time.Second))
	m3 := newMT(msisdnA, "three", t0)
	m3.Channel, m3.USSDSession = smsgw.ChannelUSSD, "ussd-1"
	m1.Addr = smsgw.Address{Value: "08110000001", TON: 0, NPI: 1} // the address its MO came from
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range []*smsgw.Message{m1, m2, m3} {
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
		}
		return nil
	})
	due := func(now time.Time, limit int) []smsgw.Message {
		t.Helper()
		var ms []smsgw.Message
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			ms, err = tx.DueMTs(now, nil, limit)
			return err
		})
		return ms
	}
	msg := func(id int64) *smsgw.Message {
		t.Helper()
		var m *smsgw.Message
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			m, err = tx.Message(id)
			return err
		})
		return m
	}
	same(t, "DueMTs(t0)", due(t0, 10), []smsgw.Message{*m1, *m3})
	same(t, "DueMTs(t0, 1) ids", msgIDs(due(t0, 1)), []int64{m1.ID})
	same(t, "DueMTs(t0+10s) ids", msgIDs(due(at(10*time.Second), 10)), []int64{m1.ID, m2.ID, m3.ID})
	same(t, "DueMTs(t0-1s) ids", msgIDs(due(at(-time.Second), 10)), []int64{})

	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTRetry(m1.ID, "throttled", at(time.Minute)) })
	got := msg(m1.ID)
	if got.Status != smsgw.MsgQueued || got.Attempts != 1 || got.LastError != "throttled" || !got.NextAttempt.Equal(at(time.Minute)) {
		t.Errorf("Message after MarkMTRetry = status %q attempts %d error %q next %v; want queued, 1, throttled, %v",
			got.Status, got.Attempts, got.LastError, got.NextAttempt, at(time.Minute))
	}
	same(t, "DueMTs(t0+10s) ids after retry", msgIDs(due(at(10*time.Second), 10)), []int64{m2.ID, m3.ID})
	same(t, "DueMTs(t0+1m) ids after retry", msgIDs(due(at(time.Minute), 10)), []int64{m1.ID, m2.ID, m3.ID})

	MustUpdate(t, s, func(tx smsgw.Tx) error {
		return tx.MarkMTSent(m2.ID, []string{"smsc-2a", "smsc-2b"}, at(20*time.Second))
	})
	got = msg(m2.ID)
	if got.Status != smsgw.MsgSent || got.Attempts != 1 || !slices.Equal(got.SMSCIDs, []string{"smsc-2a", "smsc-2b"}) {
		t.Errorf("Message after MarkMTSent = status %q attempts %d SMSC ids %q; want sent, 1, [smsc-2a smsc-2b]",
			got.Status, got.Attempts, got.SMSCIDs)
	}
	if !got.UpdatedAt.Equal(at(20 * time.Second)) {
		t.Errorf("Message after MarkMTSent UpdatedAt = %v, want %v", got.UpdatedAt, at(20*time.Second))
	}

	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTFailed(m3.ID, "invalid destination", at(30*time.Second)) })
	got = msg(m3.ID)
	if got.Status != smsgw.MsgFailed || got.Attempts != 1 || got.LastError != "invalid destination" {
		t.Errorf("Message after MarkMTFailed = status %q attempts %d error %q; want failed, 1, invalid destination",
			got.Status, got.Attempts, got.LastError)
	}
	same(t, "DueMTs(t0+1h) ids", msgIDs(due(at(time.Hour), 10)), []int64{m1.ID})

	tests := []struct {
		name string
		call func(smsgw.Tx) error
	}{
		{"MarkMTSent(sent)", func(tx smsgw.Tx) error { return tx.MarkMTSent(m2.ID, []string{"x"}, t0) }},
		{"MarkMTRetry(sent)", func(tx smsgw.Tx) error { return tx.MarkMTRetry(m2.ID, "x", t0) }},
		{"MarkMTFailed(sent)", func(tx smsgw.Tx) error { return tx.MarkMTFailed(m2.ID, "x", t0) }},
		{"MarkMTSent(failed)", func(tx smsgw.Tx) error { return tx.MarkMTSent(m3.ID, []string{"x"}, t0) }},
		{"MarkMTRetry(unknown)", func(tx smsgw.Tx) error { return tx.MarkMTRetry(m3.ID+100, "x", t0) }},
		{"MarkMTFailed(unknown)", func(tx smsgw.Tx) error { return tx.MarkMTFailed(m3.ID+100, "x", t0) }},
	}
	for _, tc := range tests {
		MustUpdate(t, s, func(tx smsgw.Tx) error {
			wantCode(t, tc.name, tc.call(tx), smsgw.ENotFound)
			return nil
		})
	}
	if got := msg(m2.ID); got.Status != smsgw.MsgSent || got.Attempts != 1 || len(got.SMSCIDs) != 2 {
		t.Errorf("Message(m2) after refused marks = status %q attempts %d ids %q, want unchanged", got.Status, got.Attempts, got.SMSCIDs)
	}
}

// testBulkLast: bulk MTs are read and claimed after every other due MT,
// older or not, and come back marked.
func testBulkLast(t *testing.T, s smsgw.Store) {
	var bulk, replies []*smsgw.Message
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for i := range 3 {
			m := newMT(msisdnA, fmt.Sprint("notice ", i), t0)
			m.Bulk = true
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
			bulk = append(bulk, m)
		}
		for i := range 2 {
			m := newMT(msisdnB, fmt.Sprint("reply ", i), at(time.Second))
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
			replies = append(replies, m)
		}
		return nil
	})
	want := []int64{replies[0].ID, replies[1].ID, bulk[0].ID, bulk[1].ID, bulk[2].ID}
	check := func(name string, got []smsgw.Message) {
		t.Helper()
		same(t, name+" ids", ids(got, func(m smsgw.Message) int64 { return m.ID }), want[:len(got)])
		for i, m := range got {
			if m.Bulk != (i >= len(replies)) {
				t.Errorf("%s: MT %d Bulk = %v", name, m.ID, m.Bulk)
			}
		}
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.DueMTs(at(time.Minute), nil, 10)
		if err != nil {
			return err
		}
		check("DueMTs", got)
		if got, err = tx.DueMTs(at(time.Minute), nil, 3); err != nil {
			return err
		}
		check("DueMTs(limit 3)", got)
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		got, err := tx.ClaimDueMTs("node-a", at(time.Minute), at(2*time.Minute), nil, 10)
		if err != nil {
			return err
		}
		check("ClaimDueMTs", got)
		return nil
	})
}

func testDLR(t *testing.T, s smsgw.Store) {
	long := newMT(msisdnA, "a long reply in two parts", t0)
	short := newMT(msisdnB, "short", t0)
	in := newMO(msisdnA, "k:in", "HELP", t0)
	in.SMSCIDs = []string{"in-1"}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.EnqueueMT(long); err != nil {
			return err
		}
		if err := tx.EnqueueMT(short); err != nil {
			return err
		}
		if err := tx.InsertMO(in, nil); err != nil {
			return err
		}
		if err := tx.MarkMTSent(long.ID, []string{"Part-1", "Part-2"}, t0); err != nil {
			return err
		}
		return tx.MarkMTSent(short.ID, []string{"Short-1"}, t0)
	})
	steps := []struct {
		smscID, state, errCode string
		want                   string // error code of UpdateDLR
		id                     int64
		wantStatus, wantDLR    string
	}{
		{"Part-2", smsgw.MsgDelivered, "000", "", long.ID, smsgw.MsgSent, smsgw.MsgDelivered},
		{"Part-1", "enroute", "", "", long.ID, smsgw.MsgSent, "enroute"},
		{"Part-1", smsgw.MsgDelivered, "000", "", long.ID, smsgw.MsgDelivered, smsgw.MsgDelivered},
		{"Short-1", smsgw.MsgUndeliv, "001", "", short.ID, smsgw.MsgUndeliv, smsgw.MsgUndeliv},
		{"part-1", smsgw.MsgDelivered, "", smsgw.ENotFound, 0, "", ""}, // exact match only
		{"in-1", smsgw.MsgDelivered, "", smsgw.ENotFound, 0, "", ""},   // an MO is not an MT
		{"nope", smsgw.MsgDelivered, "", smsgw.ENotFound, 0, "", ""},
	}
	for i, st := range steps {
		when := at(time.Duration(i+1) * time.Minute)
		MustUpdate(t, s, func(tx smsgw.Tx) error {
			wantCode(t, fmt.Sprintf("UpdateDLR(%q, %q)", st.smscID, st.state), tx.UpdateDLR(st.smscID, st.state, st.errCode, when), st.want)
			return nil
		})
		if st.id == 0 {
			continue
		}
		MustView(t, s, func(tx smsgw.Tx) error {
			got, err := tx.Message(st.id)
			if err != nil {
				return err
			}
			if got.Status != st.wantStatus || got.DLRState != st.wantDLR || got.DLRError != st.errCode {
				t.Errorf("after UpdateDLR(%q, %q): Message = status %q, DLR %q/%q; want %q, %q/%q",
					st.smscID, st.state, got.Status, got.DLRState, got.DLRError, st.wantStatus, st.wantDLR, st.errCode)
			}
			return nil
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(in.ID)
		if err != nil {
			return err
		}
		if got.DLRState != "" || got.Status != smsgw.MsgReceived {
			t.Errorf("Message(MO) = DLR %q status %q, want untouched", got.DLRState, got.Status)
		}
		return nil
	})
}

// testOutboxDepth: OutboxDepth counts queued MTs, whatever their next
// attempt, and drops sent and failed ones.
func testOutboxDepth(t *testing.T, s smsgw.Store) {
	depth := func() int {
		t.Helper()
		var n int
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			n, err = tx.OutboxDepth()
			return err
		})
		return n
	}
	if got := depth(); got != 0 {
		t.Errorf("OutboxDepth() of an empty store = %d, want 0", got)
	}
	ms := []*smsgw.Message{newMT(msisdnA, "one", t0), newMT(msisdnB, "two", at(time.Hour)), newMT(msisdnA, "three", t0)}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range ms {
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
		}
		// Inbound messages are not in the outbox.
		return tx.InsertMO(newMO(msisdnA, "k", "HELP", t0), nil)
	})
	if got := depth(); got != 3 {
		t.Errorf("OutboxDepth() after 3 MTs = %d, want 3", got)
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTRetry(ms[0].ID, "throttled", at(time.Minute)) })
	if got := depth(); got != 3 {
		t.Errorf("OutboxDepth() after a retry = %d, want 3", got)
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTSent(ms[1].ID, []string{"id"}, t0) })
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTFailed(ms[2].ID, "rejected", t0) })
	if got := depth(); got != 1 {
		t.Errorf("OutboxDepth() after one sent and one failed = %d, want 1", got)
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		n, err := tx.OutboxDepth()
		if n != 1 || err != nil {
			t.Errorf("OutboxDepth() in Update = %d, %v; want 1", n, err)
		}
		return nil
	})
}

func testBulkQueued(t *testing.T, s smsgw.Store) {
	bulk := func(limit int) int {
		t.Helper()
		var n int
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			n, err = tx.BulkQueued(limit)
			return err
		})
		return n
	}
	var ms []*smsgw.Message
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for i := range 5 {
			m := newMT(msisdnA, fmt.Sprint("notice ", i), t0)
			m.Bulk = i < 3
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
			ms = append(ms, m)
		}
		return nil
	})
	if got := bulk(10); got != 3 {
		t.Errorf("BulkQueued(10) with 3 bulk MTs and 2 others = %d, want 3", got)
	}
	if got := bulk(2); got != 2 {
		t.Errorf("BulkQueued(2) = %d, want 2", got)
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTSent(ms[0].ID, []string{"id"}, t0) })
	if got := bulk(10); got != 2 {
		t.Errorf("BulkQueued(10) after one was sent = %d, want 2", got)
	}
}

func testMOSetStatus(t *testing.T, s smsgw.Store) {
	limited := newMO(msisdnA, "k:1", "SALDO", t0)
	refused := newMO(msisdnA, "k:2", "IM2PAY 08110000009 50000", at(time.Second))
	waiting := newMO(msisdnB, "k:3", "SALDO", at(2*time.Second))
	mt := newMT(msisdnA, "reply", t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range []*smsgw.Message{limited, refused, waiting} {
			if err := tx.InsertMO(m, nil); err != nil {
				return err
			}
		}
		return tx.EnqueueMT(mt)
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.FinishMO(limited.ID, "SALDO", 0, 0); err != nil {
			return err
		}
		if err := tx.SetMOStatus(limited.ID, smsgw.MsgRateLimited); err != nil {
			return err
		}
		if err := tx.FinishMO(refused.ID, "IM2PAY", 0, 0); err != nil {
			return err
		}
		return tx.SetMOStatus(refused.ID, smsgw.MsgRefused)
	})
	err := s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.SetMOStatus(waiting.ID, smsgw.MsgRateLimited) })
	wantCode(t, "SetMOStatus(not processed)", err, smsgw.ENotFound)
	err = s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.SetMOStatus(mt.ID, smsgw.MsgRefused) })
	wantCode(t, "SetMOStatus(an MT)", err, smsgw.ENotFound)
	err = s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.SetMOStatus(9999, smsgw.MsgRefused) })
	wantCode(t, "SetMOStatus(unknown)", err, smsgw.ENotFound)
	err = s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.SetMOStatus(limited.ID, smsgw.MsgSent) })
	wantCode(t, "SetMOStatus(sent)", err, smsgw.EInvalid)
	MustView(t, s, func(tx smsgw.Tx) error {
		for _, c := range []struct {
			m      *smsgw.Message
			status string
		}{{limited, smsgw.MsgRateLimited}, {refused, smsgw.MsgRefused}, {waiting, smsgw.MsgReceived}, {mt, smsgw.MsgQueued}} {
			got, err := tx.Message(c.m.ID)
			if err != nil {
				return err
			}
			if got.Status != c.status {
				t.Errorf("Message(%d).Status = %q, want %q", c.m.ID, got.Status, c.status)
			}
		}
		ms, err := tx.Messages(smsgw.MessageFilter{Status: smsgw.MsgRateLimited})
		if err != nil {
			return err
		}
		same(t, "Messages(status rate_limited) ids", ids(ms, func(m smsgw.Message) int64 { return m.ID }), []int64{limited.ID})
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		same(t, "PendingMOs ids", ids(ps, func(m smsgw.InboundMO) int64 { return m.ID }), []int64{waiting.ID})
		return nil
	})
}

// testClaims: gateways sharing a store claim due MTs so that each goes out
// once, and one number's MTs in order.
func testClaims(t *testing.T, s smsgw.Store) {
	a1, a2 := newMT(msisdnA, "a1", t0), newMT(msisdnA, "a2", t0)
	b1 := newMT(msisdnB, "b1", t0)
	later := newMT(msisdnC, "later", at(time.Hour))
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range []*smsgw.Message{a1, a2, b1, later} {
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
		}
		return nil
	})
	claim := func(owner string, now time.Time, limit int) []string {
		t.Helper()
		var got []smsgw.Message
		MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
			got, err = tx.ClaimDueMTs(owner, now, now.Add(time.Minute), nil, limit)
			return err
		})
		var texts []string
		for _, m := range got {
			texts = append(texts, m.Text)
		}
		return texts
	}
	now := at(time.Second)
	same(t, "ClaimDueMTs(A, limit 1)", claim("A", now, 1), []string{"a1"})
	// a2 waits behind a1, which A holds; later is not due.
	same(t, "ClaimDueMTs(B)", claim("B", now, 10), []string{"b1"})
	same(t, "ClaimDueMTs(C) with everything held", claim("C", now, 10), []string(nil))
	// A claims again: a2 is free for A (its earlier MT is A's own).
	same(t, "ClaimDueMTs(A) again", claim("A", now, 10), []string{"a2"})
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.ReleaseMTs("A", []int64{a2.ID}) })
	same(t, "ClaimDueMTs(C) after A released a2", claim("C", now, 10), []string(nil)) // a1 is A's still
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.ReleaseMTs("B", nil) })
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.ReleaseMTs("A", nil) })
	same(t, "ClaimDueMTs(C) after A released all", claim("C", now, 10), []string{"a1", "a2", "b1"})
	// Claims end: C's are free a minute on, to anyone.
	same(t, "ClaimDueMTs(D) after the claims ended", claim("D", at(2*time.Minute), 10), []string{"a1", "a2", "b1"})
	// A retry frees the claim for its next attempt.
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTRetry(a1.ID, "throttled", at(3*time.Minute)) })
	same(t, "ClaimDueMTs(E) at the retry", claim("E", at(3*time.Minute), 10), []string{"a1"})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		_, err := tx.ClaimDueMTs("", now, now, nil, 1)
		wantCode(t, "ClaimDueMTs(no owner)", err, smsgw.EInvalid)
		return nil
	})
}
