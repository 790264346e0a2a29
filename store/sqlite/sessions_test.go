package sqlite

import (
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/storetest"
)

// Migration 0018 on a database with sessions: the open one holds its
// MSISDN (found, and a second is refused), the resolved one does not.
func TestOpenSlotMigration(t *testing.T) {
	path := tempDB(t)
	db := migratedBefore(t, path, 18)
	for _, q := range []string{
		`INSERT INTO sessions (id, msisdn, account, amount, state, created_at, expires_at)
			VALUES (1, '628110000001', 'w1', 50000, 'awaiting_pin', 1, 9)`,
		`INSERT INTO sessions (id, msisdn, account, amount, state, created_at, expires_at, resolved_at)
			VALUES (2, '628110000002', 'w2', 50000, 'expired', 1, 2, 3)`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := MustOpen(t, path, Options{})
	storetest.MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.OpenSession("628110000001")
		if err != nil || got.ID != 1 {
			t.Errorf("OpenSession of the open session after the migration = %v, %v; want session 1", got, err)
		}
		return nil
	})
	for m, want := range map[domain.MSISDN]string{"628110000001": smsgw.EBusy, "628110000002": ""} {
		err := s.Update(t.Context(), func(tx smsgw.Tx) error {
			return tx.CreateSession(&smsgw.Session{MSISDN: m, Account: "w", Amount: 50000, ExpiresAt: time.Now().Add(time.Minute)})
		})
		if smsgw.ErrorCode(err) != want {
			t.Errorf("CreateSession(%s) after the migration = %v, want code %q", m, err, want)
		}
	}
}
