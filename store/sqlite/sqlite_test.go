package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/sqlstore"
	"github.com/smsgw/smsgw/store/storetest"
)

var discard = slog.New(slog.DiscardHandler)

// MustOpen opens a store on path and closes it when the test ends.
func MustOpen(tb testing.TB, path string, opts Options) *Store {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = discard
	}
	s, err := Open(tb.Context(), path, opts)
	if err != nil {
		tb.Fatalf("Open(%q) = %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close() = %v", err)
		}
	})
	return s
}

func tempDB(tb testing.TB) string { return filepath.Join(tb.TempDir(), "smsgw.db") }

// TestStore runs the store contract area by area (storetest.Run runs the
// same suites in the same order).
func TestStore(t *testing.T) {
	open := func(t *testing.T) smsgw.Store { return MustOpen(t, tempDB(t), Options{}) }
	storetest.TestCustomers(t, open)
	storetest.TestLedger(t, open)
	storetest.TestSessions(t, open)
	storetest.TestMessages(t, open)
	storetest.TestParts(t, open)
	storetest.TestAudit(t, open)
	storetest.TestReports(t, open)
	storetest.TestTx(t, open)
	storetest.TestPartnerRequests(t, open)
	storetest.TestPartnerInquiries(t, open)
	storetest.TestPartnerNonces(t, open)
	storetest.TestPartnerDestinations(t, open)
	storetest.TestPartnerCallbacks(t, open)
	storetest.TestPartnerSummary(t, open)
	storetest.TestLimits(t, open)
	storetest.TestLogins(t, open)
	storetest.TestCorrections(t, open)
}

func TestOpenRejectsNonFile(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := Open(t.Context(), path, Options{Logger: discard}); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error, want an error", path)
		}
	}
}

func TestOpenPragmas(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "odd ?#% name.db"), Options{})
	tests := []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "foreign_keys", "1"},
		// NORMAL: with Synchronous FULL the store syncs the log itself
		// before an Update returns (TestUpdateWaitsForLogSync).
		{s.w, "synchronous", "1"},
		{s.w, "secure_delete", "1"},
		{s.w, "query_only", "0"},
		{s.w, "busy_timeout", "5000"},
		{s.r, "journal_mode", "wal"},
		{s.r, "foreign_keys", "1"},
		{s.r, "synchronous", "1"},
		{s.r, "query_only", "1"},
	}
	for _, tc := range tests {
		var got string
		if err := tc.db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			pool := "writer"
			if tc.db == s.r {
				pool = "reader"
			}
			t.Errorf("%s PRAGMA %s = %q, want %q", pool, tc.pragma, got, tc.want)
		}
	}
}

func latestVersion(t *testing.T) int {
	t.Helper()
	sub := must(embeddedMigrations())
	ms, err := loadMigrations(sub)
	if err != nil {
		t.Fatalf("loadMigrations(embedded) = %v", err)
	}
	return ms[len(ms)-1].Version
}

// migrationCount is the number of embedded migrations (versions may have
// gaps).
func migrationCount(t *testing.T) int {
	t.Helper()
	ms, err := loadMigrations(must(embeddedMigrations()))
	if err != nil {
		t.Fatalf("loadMigrations(embedded) = %v", err)
	}
	return len(ms)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestMigrateFreshAndIdempotent(t *testing.T) {
	path := tempDB(t)
	latest := latestVersion(t)
	s, err := Open(t.Context(), path, Options{Logger: discard})
	if err != nil {
		t.Fatalf("Open(fresh) = %v", err)
	}
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != latest {
		t.Errorf("SchemaVersion() = %d, %v; want %d", v, err, latest)
	}
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error {
		return tx.CreateAccount(&smsgw.Account{ID: "settlement:bank", Kind: domain.KindSettlement})
	})
	if err := migrateFile(t.Context(), path); err != nil {
		t.Errorf("second migration = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = MustOpen(t, path, Options{})
	var rows int
	if err := s.r.QueryRowContext(t.Context(), "SELECT count(*) FROM schema_version").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if n := migrationCount(t); rows != n {
		t.Errorf("schema_version has %d rows after reopening, want %d", rows, n)
	}
	storetest.MustView(t, s, func(tx smsgw.Tx) error {
		_, err := tx.Account("settlement:bank")
		return err
	})
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	path := tempDB(t)
	s := MustOpen(t, path, Options{})
	if err := execRaw(t.Context(), s, "INSERT INTO schema_version (version, applied_at) VALUES (?, 0)", latestVersion(t)+1); err != nil {
		t.Fatal(err)
	}
	if err := migrateFile(t.Context(), path); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("migration of a newer schema = %v, want ErrNewerSchema", err)
	}
	s2, err := Open(t.Context(), path, Options{Logger: discard})
	if !errors.Is(err, ErrNewerSchema) {
		if err == nil {
			s2.Close()
		}
		t.Errorf("Open() on a newer schema = %v, want ErrNewerSchema", err)
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	db, err := sql.Open("sqlite3", dsn(tempDB(t), time.Second, "FULL", roleWriter))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	fsys := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1); THIS IS NOT SQL;")},
	}
	now := func() time.Time { return time.Unix(1, 0) }
	if err := migrate(t.Context(), db, fsys, discard, now); err == nil {
		t.Fatal("migrate(bad 0002) = nil, want an error")
	}
	var version, tablesB, rowsA int
	if err := db.QueryRow("SELECT max(version) FROM schema_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&tablesB); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM a").Scan(&rowsA); err != nil {
		t.Fatal(err)
	}
	if version != 1 || tablesB != 0 || rowsA != 0 {
		t.Errorf("after failed 0002: version %d, table b %d, rows in a %d; want 1, 0, 0", version, tablesB, rowsA)
	}
	// Fixed, it applies.
	fsys["0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER);")}
	if err := migrate(t.Context(), db, fsys, discard, now); err != nil {
		t.Fatalf("migrate(fixed 0002) = %v", err)
	}
}

// Migrations developed side by side may land out of order: one numbered
// below the database's latest version still runs, once; a version the
// program does not know is refused as a newer schema.
func TestMigrateOutOfOrder(t *testing.T) {
	db, err := sql.Open("sqlite3", dsn(tempDB(t), time.Second, "FULL", roleWriter))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	now := func() time.Time { return time.Unix(1, 0) }
	fsys := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"0003_c.sql": {Data: []byte("CREATE TABLE c (x INTEGER);")},
	}
	if err := migrate(t.Context(), db, fsys, discard, now); err != nil {
		t.Fatalf("migrate(1, 3) = %v", err)
	}
	fsys["0002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (2);")}
	for range 2 {
		if err := migrate(t.Context(), db, fsys, discard, now); err != nil {
			t.Fatalf("migrate(1, 2, 3) = %v", err)
		}
	}
	var rowsA, versions int
	if err := db.QueryRow("SELECT count(*) FROM a").Scan(&rowsA); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM schema_version").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if rowsA != 1 || versions != 3 {
		t.Errorf("after the late 0002: %d rows in a, %d versions; want 1, 3", rowsA, versions)
	}
	delete(fsys, "0002_b.sql")
	if err := migrate(t.Context(), db, fsys, discard, now); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("migrate without 0002 on a database that has it = %v, want ErrNewerSchema", err)
	}
}

// TestAppendOnly writes to the ledger with plain SQL, bypassing the store:
// the triggers refuse updates and deletes of entries and transfers.
func TestAppendOnly(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	seed(t, s)
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error {
		return tx.Transfer(&smsgw.Transfer{IdempotencyKey: "k", Kind: partner.TransferBankVA, From: "settlement:bank", To: "wallet:1", Amount: 5})
	})
	stmts := []string{
		"UPDATE ledger_entries SET amount = amount * 2",
		"UPDATE ledger_entries SET balance_after = 0",
		"DELETE FROM ledger_entries",
		"UPDATE transfers SET amount = 1",
		"DELETE FROM transfers",
	}
	for _, q := range stmts {
		err := execRaw(t.Context(), s, q)
		var se sqlite3.Error
		if !errors.As(err, &se) || se.ExtendedCode != sqlite3.ErrConstraintTrigger {
			t.Errorf("Exec(%q) = %v, want a trigger constraint error", q, err)
		}
	}
	var sum, n int64
	if err := s.r.QueryRowContext(t.Context(), "SELECT sum(amount), count(*) FROM ledger_entries").Scan(&sum, &n); err != nil {
		t.Fatal(err)
	}
	if sum != 0 || n != 2 {
		t.Errorf("ledger after refused writes: sum %d, %d entries; want 0, 2", sum, n)
	}
}

// TestBalanceOverflow checks that a balance past int64 is refused (SQLite
// would otherwise turn it into a REAL).
func TestBalanceOverflow(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	seed(t, s)
	for i, amt := range []domain.Amount{math.MaxInt64, math.MaxInt64} {
		err := s.Update(t.Context(), func(tx smsgw.Tx) error {
			return tx.Transfer(&smsgw.Transfer{IdempotencyKey: fmt.Sprint(i), Kind: partner.TransferBankVA,
				From: "settlement:bank", To: "wallet:1", Amount: amt})
		})
		want := ""
		if i == 1 {
			want = smsgw.EFunds
		}
		if got := smsgw.ErrorCode(err); got != want {
			t.Errorf("Transfer #%d of MaxInt64 = %v, want code %q", i, err, want)
		}
	}
	var typ string
	if err := s.r.QueryRowContext(t.Context(), "SELECT typeof(balance) FROM accounts WHERE id = 'wallet:1'").Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "integer" {
		t.Errorf("typeof(balance) = %q, want integer", typ)
	}
}

func TestFinishMOErasesSecret(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	m := &smsgw.Message{MSISDN: "628110000001", ShortCode: "3355", Text: "****", DedupKey: "k"}
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMO(m, []byte("verifier")) })
	secret := func() []byte {
		var b []byte
		if err := s.r.QueryRowContext(t.Context(), "SELECT secret FROM inbox WHERE sms_id = ?", m.ID).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got := secret(); string(got) != "verifier" {
		t.Fatalf("inbox secret before FinishMO = %q, want verifier", got)
	}
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.FinishMO(m.ID, "PIN_REPLY", 0, 0) })
	if got := secret(); got != nil {
		t.Errorf("inbox secret after FinishMO = %q, want NULL", got)
	}
}

// TestStatusLiterals keeps the literals in UpdateDLR's SQL in step with the
// domain constants.
func TestStatusLiterals(t *testing.T) {
	for got, want := range map[string]string{smsgw.MsgSent: "sent", smsgw.MsgDelivered: "delivered", smsgw.MsgUndeliv: "undelivered"} {
		if got != want {
			t.Errorf("status constant = %q, want %q as in the SQL of UpdateDLR", got, want)
		}
	}
}

func TestConstraint(t *testing.T) {
	tests := []struct {
		err  error
		want sqlstore.Constraint
	}{
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, sqlstore.ConstraintUnique},
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintPrimaryKey}, sqlstore.ConstraintUnique},
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintCheck}, sqlstore.ConstraintCheck},
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintNotNull}, sqlstore.ConstraintCheck},
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintForeignKey}, sqlstore.ConstraintForeignKey},
		{sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintTrigger}, sqlstore.ConstraintNone},
		{sqlite3.Error{Code: sqlite3.ErrBusy, ExtendedCode: sqlite3.ErrBusySnapshot}, sqlstore.ConstraintNone},
		{fmt.Errorf("wrapped: %w", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}), sqlstore.ConstraintUnique},
		{context.Canceled, sqlstore.ConstraintNone},
	}
	for _, tc := range tests {
		if got := constraint(tc.err); got != tc.want {
			t.Errorf("constraint(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestClock(t *testing.T) {
	fixed := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s := MustOpen(t, tempDB(t), Options{Now: func() time.Time { return fixed }})
	seed(t, s)
	tr := &smsgw.Transfer{IdempotencyKey: "k", Kind: partner.TransferBankVA, From: "settlement:bank", To: "wallet:1", Amount: 5}
	m := &smsgw.Message{MSISDN: "628110000001", Text: "hi"}
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.Transfer(tr); err != nil {
			return err
		}
		return tx.EnqueueMT(m)
	})
	if !tr.CreatedAt.Equal(fixed) || !m.CreatedAt.Equal(fixed) || !m.NextAttempt.Equal(fixed) {
		t.Errorf("zero times defaulted to transfer %v, message %v next %v; want %v", tr.CreatedAt, m.CreatedAt, m.NextAttempt, fixed)
	}
}

func TestBackup(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	seed(t, s)
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(t.Context(), path); err != nil {
		t.Fatalf("Backup() = %v", err)
	}
	b := MustOpen(t, path, Options{})
	storetest.MustView(t, b, func(tx smsgw.Tx) error {
		_, err := tx.Account("wallet:1")
		return err
	})
	if err := s.Backup(t.Context(), path); err == nil {
		t.Errorf("Backup(existing file) = nil, want an error")
	}
}

// seed creates a settlement account and wallet:1.
func seed(tb testing.TB, s *Store) {
	tb.Helper()
	err := s.Update(tb.Context(), func(tx smsgw.Tx) error {
		if err := tx.CreateAccount(&smsgw.Account{ID: "settlement:bank", Kind: domain.KindSettlement}); err != nil {
			return err
		}
		for _, id := range []domain.AccountID{"wallet:1", "wallet:2", "wallet:3"} {
			if err := tx.CreateAccount(&smsgw.Account{ID: id, Kind: domain.KindWallet}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

func BenchmarkTransfer(b *testing.B) {
	for _, mode := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+mode, func(b *testing.B) {
			s := MustOpen(b, tempDB(b), Options{Synchronous: mode})
			seed(b, s)
			i := 0
			for b.Loop() {
				tr := &smsgw.Transfer{IdempotencyKey: fmt.Sprint("bench:", i), Kind: partner.TransferBankVA,
					From: "settlement:bank", To: "wallet:1", Amount: 1000}
				if err := s.Update(b.Context(), func(tx smsgw.Tx) error { return tx.Transfer(tr) }); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkInsertMO(b *testing.B) {
	for _, mode := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+mode, func(b *testing.B) {
			s := MustOpen(b, tempDB(b), Options{Synchronous: mode})
			secret := make([]byte, 33)
			i := 0
			for b.Loop() {
				m := &smsgw.Message{MSISDN: "628110000001", ShortCode: "3355", Text: "****", Keyword: "PIN_REPLY",
					DedupKey: fmt.Sprint("smsc:628110000001:", i), SMSCIDs: []string{fmt.Sprint(i)}}
				if err := s.Update(b.Context(), func(tx smsgw.Tx) error { return tx.InsertMO(m, secret) }); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestCheckLedger finds a sound ledger sound, and reports a balance that
// no longer equals its entries (written past the store, as a tampered
// file would be).
func TestCheckLedger(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	seed(t, s)
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error {
		return tx.Transfer(&smsgw.Transfer{IdempotencyKey: "k", Kind: partner.TransferBankVA, From: "settlement:bank", To: "wallet:1", Amount: 5})
	})
	if broken, err := s.CheckLedger(t.Context()); err != nil || len(broken) != 0 {
		t.Fatalf("CheckLedger(sound) = %q, %v; want none", broken, err)
	}
	if err := execRaw(t.Context(), s, "UPDATE accounts SET balance = 7 WHERE id = 'wallet:1'"); err != nil {
		t.Fatal(err)
	}
	broken, err := s.CheckLedger(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"each balance equals the sum of its entries: broken by 1 rows"}
	if !slices.Equal(broken, want) {
		t.Errorf("CheckLedger(tampered) = %q, want %q", broken, want)
	}
}

// Migration 0007 moves the reply template names MTs kept in keyword to
// their own column; MOs keep their keyword, and an inbox row stored before
// has no request (the gateway classifies its stored text).
func TestTemplateMigration(t *testing.T) {
	path := tempDB(t)
	db := migratedBefore(t, path, 7)
	for _, q := range []string{
		`INSERT INTO sms_log (id, direction, channel, short_code, msisdn, text, keyword, status, created_at, updated_at)
			VALUES (1, 'in', 'sms', '9779', '628110000002', 'SALDO', 'SALDO', 'received', 1, 1)`,
		`INSERT INTO inbox (sms_id) VALUES (1)`,
		`INSERT INTO sms_log (id, direction, channel, short_code, msisdn, text, keyword, status, created_at, updated_at)
			VALUES (2, 'out', 'sms', '3355', '628110000002', 'PIN?', 'pin_prompt', 'sent', 2, 2)`,
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
		mo, err := tx.Message(1)
		if err != nil {
			return err
		}
		mt, err := tx.Message(2)
		if err != nil {
			return err
		}
		if mo.Keyword != "SALDO" || mo.Template != "" || mt.Keyword != "" || mt.Template != "pin_prompt" {
			t.Errorf("after 0007: MO keyword %q template %q, MT keyword %q template %q; want SALDO, \"\", \"\", pin_prompt",
				mo.Keyword, mo.Template, mt.Keyword, mt.Template)
		}
		ms, err := tx.Messages(smsgw.MessageFilter{Template: "pin_prompt"})
		if err != nil || len(ms) != 1 || ms[0].ID != 2 {
			t.Errorf("Messages(template pin_prompt) = %v, %v; want message 2", ms, err)
		}
		in, err := tx.PendingMOs(10)
		if err != nil || len(in) != 1 || in[0].Request != "" {
			t.Errorf("PendingMOs() = %+v, %v; want message 1 without a request", in, err)
		}
		return nil
	})
}

// execRaw runs one SQL statement past the store's methods, in a write
// transaction of its own, as a tampering tool or a bug would.
func execRaw(ctx context.Context, s *Store, query string, args ...any) error {
	return s.Update(ctx, func(x smsgw.Tx) error {
		_, err := x.(*sqlstore.Tx).Exec(query, args...)
		return err
	})
}

// migrateFile applies the embedded migrations to the database at path over
// a connection of its own, as another process would.
func migrateFile(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", dsn(path, DefaultBusyTimeout, "FULL", roleWriter))
	if err != nil {
		return err
	}
	defer db.Close()
	sub, err := embeddedMigrations()
	if err != nil {
		return err
	}
	return migrate(ctx, db, sub, discard, time.Now)
}

// migrate and loadMigrations are the generic migration code with SQLite's
// dialect.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS, log *slog.Logger, now func() time.Time) error {
	return sqlstore.Migrate(ctx, db, fsys, dialect, log, now)
}

var loadMigrations = sqlstore.LoadMigrations

// A migration marked "foreign keys off" may rebuild a table others refer
// to; it commits only when every reference resolves, and enforcement is
// on again afterwards.
func TestMigrateForeignKeysOff(t *testing.T) {
	db, err := sql.Open("sqlite3", dsn(tempDB(t), time.Second, "FULL", roleWriter))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	now := func() time.Time { return time.Unix(1, 0) }
	fsys := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE p (id INTEGER PRIMARY KEY, x INTEGER CHECK (x < 10));
			CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER NOT NULL REFERENCES p (id));
			INSERT INTO p VALUES (1, 1); INSERT INTO c VALUES (1, 1);`)},
		// Leaves c.p = 1 dangling: refused, rolled back.
		"0002_b.sql": {Data: []byte(`-- migrate: foreign keys off; check p c
			CREATE TABLE p_new (id INTEGER PRIMARY KEY, x INTEGER CHECK (x < 100));
			DROP TABLE p;
			ALTER TABLE p_new RENAME TO p;`)},
	}
	err = migrate(t.Context(), db, fsys, discard, now)
	if err == nil || !strings.Contains(err.Error(), "reference does not resolve") {
		t.Fatalf("migrate(dangling 0002) = %v, want a foreign key error", err)
	}
	var version int
	if err := db.QueryRow("SELECT max(version) FROM schema_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != 1 {
		t.Fatalf("version after the refused 0002 = %d, want 1", version)
	}
	fsys["0002_b.sql"] = &fstest.MapFile{Data: []byte(`-- migrate: foreign keys off; check p c
		CREATE TABLE p_new (id INTEGER PRIMARY KEY, x INTEGER CHECK (x < 100));
		INSERT INTO p_new SELECT * FROM p;
		DROP TABLE p;
		ALTER TABLE p_new RENAME TO p;`)}
	if err := migrate(t.Context(), db, fsys, discard, now); err != nil {
		t.Fatalf("migrate(rebuilding 0002) = %v", err)
	}
	if _, err := db.Exec("INSERT INTO p VALUES (2, 50)"); err != nil {
		t.Errorf("insert allowed by the rebuilt check: %v", err)
	}
	if _, err := db.Exec("INSERT INTO c VALUES (2, 99)"); err == nil {
		t.Error("a dangling reference was accepted after the migration: foreign keys stayed off")
	}
}

// The foreign keys off marker must name the tables to check.
func TestMigrateForeignKeysOffNamesTables(t *testing.T) {
	for _, line := range []string{"-- migrate: foreign keys off; check ", "-- migrate: foreign keys off; check p;DROP"} {
		_, err := loadMigrations(fstest.MapFS{"0001_a.sql": {Data: []byte(line + "\nCREATE TABLE a (x INTEGER);")}})
		if err == nil {
			t.Errorf("loadMigrations(%q) = nil, want an error", line)
		}
	}
}
