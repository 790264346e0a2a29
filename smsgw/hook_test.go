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
// step: the session stays open, no reply is queued and nothing the hook
// wrote is kept.
func TestSessionHookErrorRollsBack(t *testing.T) {
	h := newHarness(t)
	rec := &recordingHook{fail: errors.New("hook down")}
	h.gw.SetSessionHook(rec)
	h.send(payer, request, "IM2PAY 08110000009 50000")
	h.clk.Add(6 * time.Minute)
	if _, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err == nil {
		t.Fatal("ExpirePending with a failing hook = nil error")
	}
	h.flush()
	if mts := h.out.Take(); len(mts) != 0 {
		t.Errorf("replies sent after a rolled-back expiry: %+v", mts)
	}
	if es := h.hookAudit(); len(es) != 0 {
		t.Errorf("hook's writes kept after rollback: %+v", es)
	}
	err := h.store.View(t.Context(), func(tx smsgw.Tx) error {
		_, err := tx.OpenSession(payerN)
		return err
	})
	if err != nil {
		t.Fatalf("OpenSession after a rolled-back expiry: %v", err)
	}

	h.gw.SetSessionHook(nil)
	if n, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("ExpirePending without the hook = %d, %v; want 1, nil", n, err)
	}
}
