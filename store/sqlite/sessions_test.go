package sqlite

import (
	"database/sql"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"

	"github.com/smsgw/smsgw/store/storetest"
)

// Migration 0018 on a database with sessions: the open one holds its
// MSISDN (found, and a second is refused), the expired one does not.
func TestOpenSlotMigration(t *testing.T) {
	path := tempDB(t)
	db := migratedBefore(t, path, 18)
	for _, q := range []string{
		`INSERT INTO sessions (id, msisdn, account, amount, state, created_at, expires_at)
			VALUES (1, '628110000001', 'w1', 50000, 'awaiting_pin', 1, 9)`,
		`INSERT INTO sessions (id, msisdn, account, amount, state, created_at, expires_at, resolved_at)
			VALUES (2, '628110000002', 'w2', 50000, 'expired', 1, 2, 3)`,
		// An earlier session of the open one's MSISDN holds no slot.
		`INSERT INTO sessions (id, msisdn, account, amount, state, created_at, expires_at, resolved_at)
			VALUES (3, '628110000001', 'w1', 50000, 'confirmed', 0, 1, 1)`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := MustOpen(t, path, Options{})
	checkSlotsMigrated(t, s, "628110000001", "628110000002")
}

// checkSlotsMigrated checks a store just migrated to open-session slots
// (open_msisdn) from a database that held an open session of open and an
// expired one of expired: the open session still holds its MSISDN (found,
// and a second one refused), the expired one does not.
func checkSlotsMigrated(t *testing.T, s smsgw.Store, open, expired domain.MSISDN) {
	t.Helper()
	storetest.MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.OpenSession(open)
		if err != nil || got.MSISDN != open {
			t.Errorf("OpenSession(%s) after the migration = %v, %v; want its open session", open, got, err)
		}
		return nil
	})
	for m, want := range map[domain.MSISDN]string{open: smsgw.EBusy, expired: ""} {
		err := s.Update(t.Context(), func(tx smsgw.Tx) error {
			return tx.CreateSession(&smsgw.Session{MSISDN: m, Account: "w", Amount: 50_000, ExpiresAt: time.Now().Add(time.Minute)})
		})
		if smsgw.ErrorCode(err) != want {
			t.Errorf("CreateSession(%s) after the migration = %v, want code %q", m, err, want)
		}
	}
}

// The expiry leaves an expired session holding its MSISDN (so that it
// changes no index keyed by MSISDN); a resolution frees it; the MSISDN's
// next session takes it over.
func TestOpenSlotKept(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	now := time.Now()
	mk := func(m domain.MSISDN) *smsgw.Session {
		return &smsgw.Session{MSISDN: m, Account: "w", Amount: 50_000, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute)}
	}
	expired, resolved := mk("628110000001"), mk("628110000002")
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.CreateSession(expired); err != nil {
			return err
		}
		if err := tx.CreateSession(resolved); err != nil {
			return err
		}
		resolved.State = smsgw.StateCancelled
		if err := tx.ResolveSession(resolved); err != nil {
			return err
		}
		_, err := tx.ExpireSessions(now, 10)
		return err
	})
	slot := func(id int64) string {
		t.Helper()
		var m sql.NullString
		if err := s.r.QueryRowContext(t.Context(), "SELECT open_msisdn FROM sessions WHERE id = ?", id).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m.String
	}
	if got := slot(expired.ID); got != "628110000001" {
		t.Errorf("expired session's open_msisdn = %q, want its MSISDN kept", got)
	}
	if got := slot(resolved.ID); got != "" {
		t.Errorf("resolved session's open_msisdn = %q, want none", got)
	}
	next := mk("628110000001")
	next.ExpiresAt = now.Add(time.Hour)
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateSession(next) })
	if got, want := slot(expired.ID)+"|"+slot(next.ID), "|628110000001"; got != want {
		t.Errorf("open_msisdn of the expired and the next session = %q, want %q", got, want)
	}
}
