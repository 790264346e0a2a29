package smsgw_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// hookCall is what the session hook saw.
type hookCall struct {
	state   smsgw.SessionState
	stored  smsgw.SessionState // the session's state read back in the same transaction
	session int64
}

// recordingHook records its calls; it appends an audit entry in the
// transaction it is given, then returns fail.
type recordingHook struct {
	calls []hookCall
	fail  error
}

func (r *recordingHook) SessionResolved(tx smsgw.Tx, s *smsgw.Session, now time.Time) error {
	got, err := tx.Session(s.ID)
	if err != nil {
		return err
	}
	r.calls = append(r.calls, hookCall{state: s.State, stored: got.State, session: s.ID})
	e := &smsgw.AuditEntry{At: now, Actor: "hook", Action: "hook.resolved", Target: strconv.FormatInt(s.ID, 10)}
	if err := tx.AppendAudit(e); err != nil {
		return err
	}
	return r.fail
}

func (h *harness) hookAudit() []smsgw.AuditEntry {
	h.t.Helper()
	var es []smsgw.AuditEntry
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		es, err = tx.AuditTrail(smsgw.AuditFilter{Action: "hook.resolved"})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

// TestSessionHook: the hook is called once for every way a session
// resolves, inside the transaction that resolves it (it reads the new
// state, and what it writes commits with it).
func TestSessionHook(t *testing.T) {
	h := newHarness(t)
	rec := &recordingHook{}
	h.gw.SetSessionHook(rec)

	h.send(payer, request, "IM2PAY 08110000009 50000")
	if len(rec.calls) != 0 {
		t.Fatalf("hook called %d times while the session is open", len(rec.calls))
	}
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
	h.send(payer, request, "IM2PAY 08110000009 50000")
	one(t, h.send(payer, request, "BATAL"), request, "dibatalkan")
	h.send(payer, request, "IM2PAY 08110000009 75000")
	h.clk.Add(6 * time.Minute)
	if n, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1, nil", n, err)
	}
	if len(rec.calls) != 2 {
		t.Fatalf("hook calls = %+v before the expiry notice is queued, want 2", rec.calls)
	}
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err != nil || n != 1 {
		t.Fatalf("QueueExpiryNotices = %d, %v; want 1, nil", n, err)
	}

	want := []smsgw.SessionState{smsgw.StateConfirmed, smsgw.StateCancelled, smsgw.StateExpired}
	if len(rec.calls) != len(want) {
		t.Fatalf("hook calls = %+v, want states %v", rec.calls, want)
	}
	for i, c := range rec.calls {
		if c.state != want[i] || c.stored != want[i] {
			t.Errorf("call %d: state %s, stored %s; want %s", i, c.state, c.stored, want[i])
		}
	}
	if got := len(h.hookAudit()); got != len(want) {
		t.Errorf("hook wrote %d audit entries, want %d", got, len(want))
	}
}

// TestSessionHookErrorRollsBack: a failing hook rolls back the whole
// step: no reply is queued and nothing the hook wrote is kept. For an
// expiry the step is the notice: the session stays expired and its notice
// stays owed, to be queued once the hook succeeds.
func TestSessionHookErrorRollsBack(t *testing.T) {
	h := newHarness(t)
	rec := &recordingHook{fail: errors.New("hook down")}
	h.gw.SetSessionHook(rec)
	h.send(payer, request, "IM2PAY 08110000009 50000")
	h.clk.Add(6 * time.Minute)
	if n, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1, nil", n, err)
	}
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err == nil || n != 0 {
		t.Fatalf("QueueExpiryNotices with a failing hook = %d, %v; want 0 and an error", n, err)
	}
	h.flush()
	if mts := h.out.Take(); len(mts) != 0 {
		t.Errorf("replies sent after a rolled-back expiry notice: %+v", mts)
	}
	if es := h.hookAudit(); len(es) != 0 {
		t.Errorf("hook's writes kept after rollback: %+v", es)
	}
	var due []smsgw.Session
	err := h.store.View(t.Context(), func(tx smsgw.Tx) (err error) {
		due, err = tx.ExpiryNoticesDue(0, 10)
		return err
	})
	if err != nil || len(due) != 1 || due[0].State != smsgw.StateExpired {
		t.Fatalf("expiry notices due after a rolled-back notice = %+v, %v; want the expired session", due, err)
	}

	h.gw.SetSessionHook(nil)
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err != nil || n != 0 {
		t.Fatalf("QueueExpiryNotices right after a failure = %d, %v; want 0, nil (it waits a minute)", n, err)
	}
	h.clk.Add(time.Minute)
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err != nil || n != 1 {
		t.Fatalf("QueueExpiryNotices without the hook = %d, %v; want 1, nil", n, err)
	}
	h.flush()
	one(t, h.out.Take(), pinCode, "dibatalkan karena PIN tidak diterima")
}

// expiryHook is a recordingHook that also hears of each expiry run, before
// the notices, and records the sessions then owing one.
type expiryHook struct {
	recordingHook
	runs    []time.Time
	owed    [][]int64
	expFail error
}

func (e *expiryHook) SessionsExpired(tx smsgw.Tx, now time.Time) error {
	due, err := tx.ExpiryNoticesDue(0, 100)
	if err != nil {
		return err
	}
	var ids []int64
	for _, s := range due {
		if s.State != smsgw.StateExpired {
			return errors.New("a session owing its notice is not expired")
		}
		ids = append(ids, s.ID)
	}
	e.runs, e.owed = append(e.runs, now), append(e.owed, ids)
	return e.expFail
}

// TestExpiryHook: a hook that is an ExpiryHook hears of an expiry once,
// right after it, with the sessions expired and their notices still owed;
// SessionResolved follows with each notice. Its error is the expiry's,
// which stays done.
func TestExpiryHook(t *testing.T) {
	h := newHarness(t)
	hook := &expiryHook{}
	h.gw.SetSessionHook(hook)
	h.send(payer, request, "IM2PAY 08110000009 50000")
	h.clk.Add(6 * time.Minute)
	if n, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1, nil", n, err)
	}
	if len(hook.runs) != 1 || !hook.runs[0].Equal(h.clk.Now()) || len(hook.owed[0]) != 1 || len(hook.calls) != 0 {
		t.Fatalf("after the expiry: SessionsExpired runs %v owing %v, SessionResolved calls %+v; want one run owing one notice, no call",
			hook.runs, hook.owed, hook.calls)
	}
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err != nil || n != 1 {
		t.Fatalf("QueueExpiryNotices = %d, %v; want 1, nil", n, err)
	}
	if len(hook.calls) != 1 || hook.calls[0].state != smsgw.StateExpired {
		t.Errorf("SessionResolved calls = %+v, want one for the expired session", hook.calls)
	}
	// Nothing expired: not called.
	if _, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err != nil || len(hook.runs) != 1 {
		t.Errorf("ExpirePending with nothing to expire: err %v, SessionsExpired runs %d; want nil, still 1", err, len(hook.runs))
	}

	hook.expFail = errors.New("hook down")
	h.send(payer, request, "IM2PAY 08110000009 50000")
	h.clk.Add(6 * time.Minute)
	if n, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err == nil || n != 1 {
		t.Fatalf("ExpirePending with a failing SessionsExpired = %d, %v; want 1 and the error", n, err)
	}
	if n, err := h.gw.QueueExpiryNotices(t.Context()); err != nil || n != 1 {
		t.Fatalf("QueueExpiryNotices after a failing SessionsExpired = %d, %v; want 1, nil", n, err)
	}
}
