package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// sessionTests are the contract of smsgw.SessionStore: the PIN-flow
// sessions.
var sessionTests = []test{
	{"Session/OnePerMSISDN", testSessionOnePerMSISDN},
	{"Session/Resolve", testSessionResolve},
	{"Session/Attempts", testSessionAttempts},
	{"Session/Expired", testSessionExpired},
}

// TestSessions runs sessionTests as subtests; see Run for open.
func TestSessions(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, sessionTests) }

func testSessionOnePerMSISDN(t *testing.T, s smsgw.Store) {
	first := newSession(msisdnA, 50_000, t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateSession(first) })
	if first.ID == 0 || first.State != smsgw.StateAwaitingPIN {
		t.Fatalf("CreateSession set ID %d, State %q; want an ID and awaiting_pin", first.ID, first.State)
	}
	second := newSession(msisdnA, 75_000, at(time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "CreateSession(second open)", tx.CreateSession(second), smsgw.EBusy)
		return nil
	})
	other := newSession(msisdnB, 75_000, at(time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateSession(other) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.OpenSession(msisdnA)
		if err != nil {
			return err
		}
		same(t, "OpenSession(A)", got, first)
		got, err = tx.Session(other.ID)
		if err != nil {
			return err
		}
		same(t, "Session(other)", got, other)
		_, err = tx.OpenSession(msisdnC)
		wantCode(t, "OpenSession(none)", err, smsgw.ENotFound)
		_, err = tx.Session(other.ID + 100)
		wantCode(t, "Session(unknown)", err, smsgw.ENotFound)
		all, err := tx.Sessions(smsgw.SessionFilter{MSISDN: msisdnA})
		if err != nil {
			return err
		}
		if len(all) != 1 {
			t.Errorf("Sessions(A) = %d sessions, want 1 (the refused one is not written)", len(all))
		}
		return nil
	})
	// Once resolved, the MSISDN may open a new session.
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		first.State, first.ResolvedAt = smsgw.StateCancelled, ptr(at(2*time.Minute))
		if err := tx.ResolveSession(first); err != nil {
			return err
		}
		return tx.CreateSession(second)
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.OpenSession(msisdnA)
		if err != nil {
			return err
		}
		if got.ID != second.ID {
			t.Errorf("OpenSession(A).ID = %d, want %d", got.ID, second.ID)
		}
		return nil
	})
}

func testSessionResolve(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	sess := newSession(msisdnA, 50_000, t0)
	pinMO := newMO(msisdnA, "k:pin", "****", at(time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		return tx.InsertMO(pinMO, nil)
	})
	tr := newTransfer("session:x", settlement, walletA, 50_000)
	tr.SessionID = sess.ID
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.Transfer(tr); err != nil {
			return err
		}
		sess.State = smsgw.StateConfirmed
		sess.Attempts = 1
		sess.ResolvedAt = ptr(at(2 * time.Minute))
		sess.PINMessage = pinMO.ID
		sess.TransferID = tr.ID
		return tx.ResolveSession(sess)
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		same(t, "Session(resolved)", got, sess)
		_, err = tx.OpenSession(msisdnA)
		wantCode(t, "OpenSession(A) after resolve", err, smsgw.ENotFound)
		return nil
	})
	tests := []struct {
		name  string
		state smsgw.SessionState
		id    int64
		want  string
	}{
		{"again", smsgw.StateExpired, sess.ID, smsgw.EConflict},
		{"same state again", smsgw.StateConfirmed, sess.ID, smsgw.EConflict},
		{"unknown", smsgw.StateExpired, sess.ID + 100, smsgw.ENotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			MustUpdate(t, s, func(tx smsgw.Tx) error {
				again := *sess
				again.ID, again.State, again.ResolvedAt, again.TransferID = tc.id, tc.state, ptr(at(3*time.Minute)), 0
				wantCode(t, "ResolveSession", tx.ResolveSession(&again), tc.want)
				return nil
			})
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		same(t, "Session after refused resolves", got, sess)
		return nil
	})
}

func testSessionAttempts(t *testing.T, s smsgw.Store) {
	sess := newSession(msisdnA, 50_000, t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateSession(sess) })
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.SetSessionAttempts(sess.ID, 2) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		if got.Attempts != 2 || got.State != smsgw.StateAwaitingPIN {
			t.Errorf("Session after SetSessionAttempts(2) = attempts %d, state %q; want 2, awaiting_pin", got.Attempts, got.State)
		}
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "SetSessionAttempts(unknown)", tx.SetSessionAttempts(sess.ID+100, 1), smsgw.ENotFound)
		sess.State, sess.Attempts, sess.ResolvedAt = smsgw.StateLocked, 3, ptr(at(time.Minute))
		if err := tx.ResolveSession(sess); err != nil {
			return err
		}
		wantCode(t, "SetSessionAttempts(resolved)", tx.SetSessionAttempts(sess.ID, 9), smsgw.EConflict)
		return nil
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		same(t, "Session(locked)", got, sess)
		return nil
	})
}

func testSessionExpired(t *testing.T, s smsgw.Store) {
	mk := func(m domain.MSISDN, expires time.Duration) *smsgw.Session {
		sess := newSession(m, 10_000, t0)
		sess.ExpiresAt = at(expires)
		return sess
	}
	s1 := mk("628110000001", time.Minute)
	s2 := mk("628110000002", 5*time.Minute)
	s3 := mk("628110000003", 3*time.Minute)
	s4 := mk("628110000004", 2*time.Minute) // resolved below
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, sess := range []*smsgw.Session{s1, s2, s3, s4} {
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
		}
		s4.State, s4.ResolvedAt = smsgw.StateCancelled, ptr(at(30*time.Second))
		return tx.ResolveSession(s4)
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		// The open sessions, latest to lapse first.
		open, err := tx.Sessions(smsgw.SessionFilter{State: smsgw.StateAwaitingPIN})
		same(t, "Sessions(awaiting_pin) ids", sessionIDs(open), []int64{s2.ID, s3.ID, s1.ID})
		return err
	})
	expire := func(now time.Time, limit, want int) {
		t.Helper()
		var n int
		MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
			n, err = tx.ExpireSessions(now, limit)
			return err
		})
		if n != want {
			t.Errorf("ExpireSessions(%v, %d) = %d, want %d", now, limit, n, want)
		}
	}
	state := func(sess *smsgw.Session, want smsgw.SessionState, resolved time.Time) {
		t.Helper()
		MustView(t, s, func(tx smsgw.Tx) error {
			got, err := tx.Session(sess.ID)
			if err != nil {
				return err
			}
			if got.State != want || (want == smsgw.StateExpired && (got.ResolvedAt == nil || !got.ResolvedAt.Equal(resolved))) {
				t.Errorf("session %d = %s resolved at %v, want %s at %v", sess.ID, got.State, got.ResolvedAt, want, resolved)
			}
			return nil
		})
	}
	due := func(after int64, limit int, want ...int64) {
		t.Helper()
		var got []smsgw.Session
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			got, err = tx.ExpiryNoticesDue(after, limit)
			return err
		})
		ids := sessionIDs(got)
		if len(ids) == 0 {
			ids = nil
		}
		same(t, fmt.Sprintf("ExpiryNoticesDue(%d, %d) ids", after, limit), ids, want)
	}
	expire(t0, 10, 0)
	due(0, 10)
	// The longest expired first, one at a time.
	expire(at(3*time.Minute), 1, 1)
	state(s1, smsgw.StateExpired, at(3*time.Minute))
	state(s3, smsgw.StateAwaitingPIN, time.Time{})
	expire(at(4*time.Minute), 10, 1)
	state(s3, smsgw.StateExpired, at(4*time.Minute))
	expire(at(10*time.Minute), 10, 1)
	expire(at(10*time.Minute), 10, 0) // a repeated run is harmless
	state(s2, smsgw.StateExpired, at(10*time.Minute))
	state(s4, smsgw.StateCancelled, time.Time{}) // resolved before: left alone
	MustView(t, s, func(tx smsgw.Tx) error {
		// An expired session no longer holds its MSISDN.
		_, err := tx.OpenSession(s1.MSISDN)
		wantCode(t, "OpenSession(expired)", err, smsgw.ENotFound)
		return nil
	})
	next := mk(s1.MSISDN, 20*time.Minute)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateSession(next) })
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		// The new session holds the MSISDN as the expired one did.
		wantCode(t, "CreateSession(second after expiry)", tx.CreateSession(mk(s1.MSISDN, 30*time.Minute)), smsgw.EBusy)
		got, err := tx.OpenSession(s1.MSISDN)
		if err != nil {
			return err
		}
		if got.ID != next.ID {
			t.Errorf("OpenSession after expiry = session %d, want %d", got.ID, next.ID)
		}
		return nil
	})
	// Each expired session owes its notice, oldest session first.
	due(0, 10, s1.ID, s2.ID, s3.ID)
	due(0, 2, s1.ID, s2.ID)
	due(s1.ID, 10, s2.ID, s3.ID)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.TakeExpiryNotice(s1.ID); err != nil {
			return err
		}
		wantCode(t, "TakeExpiryNotice(taken)", tx.TakeExpiryNotice(s1.ID), smsgw.EConflict)
		wantCode(t, "TakeExpiryNotice(cancelled)", tx.TakeExpiryNotice(s4.ID), smsgw.EConflict)
		wantCode(t, "TakeExpiryNotice(unknown)", tx.TakeExpiryNotice(s4.ID+100), smsgw.ENotFound)
		return nil
	})
	due(0, 10, s2.ID, s3.ID)
	// A notice taken in a transaction that rolls back is still owed.
	err := s.Update(t.Context(), func(tx smsgw.Tx) error {
		if err := tx.TakeExpiryNotice(s2.ID); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("Update returning an error = nil")
	}
	due(0, 10, s2.ID, s3.ID)
}
