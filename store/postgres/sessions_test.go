package postgres

import (
	"database/sql"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/smsgw/smsgw/store/postgres/pgtest"
	"github.com/smsgw/smsgw/store/sqlstore"
	"github.com/smsgw/smsgw/store/storetest"
)

// Migration 0010 on a database with sessions: the open one holds its
// MSISDN (found, and a second is refused), the expired one does not.
func TestOpenSlotMigration(t *testing.T) {
	dsn := pgtest.DSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	older := fstest.MapFS{}
	err = fs.WalkDir(migrationFiles, "migrations", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(p, "migrations/")
		if name < "0010" {
			b, err := migrationFiles.ReadFile(p)
			older[name] = &fstest.MapFile{Data: b}
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlstore.Migrate(t.Context(), db, older, dialect, slog.New(slog.DiscardHandler), time.Now); err != nil {
		t.Fatalf("migrate before 0010: %v", err)
	}
	for _, q := range []string{
		`INSERT INTO sessions (msisdn, account, amount, state, created_at, expires_at)
			VALUES ('628110000001', 'w1', 50000, 'awaiting_pin', 1, 9)`,
		`INSERT INTO sessions (msisdn, account, amount, state, created_at, expires_at, resolved_at)
			VALUES ('628110000002', 'w2', 50000, 'expired', 1, 2, 3)`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(t.Context(), dsn, Options{})
	if err != nil {
		t.Fatalf("Open (migrating 0010): %v", err)
	}
	defer s.Close()
	storetest.CheckSlotsMigrated(t, s, "628110000001", "628110000002")
}
