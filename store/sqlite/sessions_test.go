package sqlite

import (
	"testing"

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
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := MustOpen(t, path, Options{})
	storetest.CheckSlotsMigrated(t, s, "628110000001", "628110000002")
}
