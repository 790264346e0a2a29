// Package storecopy copies the database of a SQLite store into an empty
// PostgreSQL database, so that an installation can move from the embedded
// store to PostgreSQL (smsgw store copy), and verifies the copy.
//
// The source is read inside one read transaction, so the copy is one
// consistent snapshot even while a daemon writes to the file. The target
// is migrated to this program's schema and written inside one transaction,
// which commits only after the copy has been verified: a failure leaves
// the target as empty as it was.
//
// The tables come from the SQLite schema (sqlite_master), not from a list
// kept here, so tables added by later migrations are copied too; only the
// migration bookkeeping (schema_version) is left out, the target keeping
// its own. Both schemas store times as integer Unix nanoseconds, flags as
// integers 0/1, amounts as integer rupiah and secrets as blobs (BYTEA):
// values are carried over as they are, and a value whose type does not fit
// its target column stops the copy with the table, column and row named.
//
// Verification compares, for every table, the row count and a SHA-256 over
// every row in primary-key order, read back from the target and encoded the
// same way on both sides; and for the ledger, the number and total of the
// entries, each account's entries and balance, and its invariants (the
// entries sum to zero, every transfer's entries sum to zero, each balance is
// the sum of its entries).
package storecopy

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/smsgw/smsgw/store/postgres"
	"github.com/smsgw/smsgw/store/sqlite"
)

// Errors a copy is refused with, before anything is written.
var (
	// ErrTargetNotEmpty: the target database already holds rows. A copy
	// never merges into a database in use.
	ErrTargetNotEmpty = errors.New("target database is not empty")
	// ErrSourceSchema: the source database's schema is not the one this
	// program knows (migrate it first, or use the program that wrote it).
	ErrSourceSchema = errors.New("source database schema is not this program's")
	// ErrSchemaMismatch: a source table or column has no counterpart in the
	// target, or its values cannot be carried over.
	ErrSchemaMismatch = errors.New("source and target schemas do not match")
)

// MismatchError is a verification failure: the target does not hold what
// the source does.
type MismatchError struct {
	Table  string // the table that differs
	What   string // what differs: "row count", "checksum", "balance of account X", ...
	Source string // its value in the source
	Target string // its value in the target
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("verification failed: table %s: %s differs: source %s, target %s", e.Table, e.What, e.Source, e.Target)
}

// Options configure Copy. The zero value is usable.
type Options struct {
	// Progress receives what the copy is doing, a line per step and per
	// table, and for a long table a line every ProgressEvery. Nil discards.
	Progress io.Writer
	// ProgressEvery is how often a table being copied reports its rows.
	// Default 2 seconds.
	ProgressEvery time.Duration
	// LockTimeout bounds the wait for the locks on the target's tables
	// (another client using them). Default 30 seconds.
	LockTimeout time.Duration
	// Now is the clock of the target's migration records. Default time.Now.
	Now func() time.Time
}

// Table is what was copied and verified of one table.
type Table struct {
	Name     string
	Rows     int64
	Checksum [sha256.Size]byte // over every row in primary-key order; equal on both sides
	Elapsed  time.Duration     // time spent copying it
	// TargetOnly marks a table the target has and the source does not:
	// it is left empty.
	TargetOnly bool
}

// Ledger is what was verified of the ledger.
type Ledger struct {
	Entries   int64 // ledger entries
	Sum       int64 // their total (zero)
	Accounts  int   // accounts
	Balances  int64 // the total of their balances (zero)
	Transfers int64 // transfers
}

// Result describes a verified copy.
type Result struct {
	Source    string // the SQLite file
	Target    string // the PostgreSQL database, user@host:port/name (never its password)
	Tables    []Table
	Ledger    *Ledger // nil when the source has no ledger
	Sequences int     // identity sequences moved past the copied ids
	Elapsed   time.Duration
}

// Rows returns the number of rows copied.
func (r *Result) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// bookkeeping are the tables the copy leaves out: the target records its
// own migrations.
var bookkeeping = map[string]bool{"schema_version": true}

// sqliteOnly are the columns of the SQLite schema that PostgreSQL's does
// without, left out of the copy: sessions.open_msisdn holds an MSISDN's
// one open session on SQLite (sqlstore.Dialect.OpenSlots), where
// PostgreSQL's unique index of the open sessions by MSISDN keeps the rule.
var sqliteOnly = map[string]bool{"sessions.open_msisdn": true}

// Copy copies the SQLite database file from into the PostgreSQL database
// dsn, which must hold no rows: it migrates dsn to this program's schema,
// copies every table in one transaction, moves the identity sequences past
// the copied ids, verifies the copy and commits. Any error leaves dsn
// without a copied row. A failed verification is a *MismatchError.
// The password of dsn (if any) never appears in an error.
func Copy(ctx context.Context, from, dsn string, opts Options) (res *Result, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err) // pgx keeps the password out of this error
	}
	defer func() { err = redact(err, cfg.Password) }()
	c := &copier{opts: opts, progress: opts.Progress}
	if c.progress == nil {
		c.progress = io.Discard
	}
	if c.opts.ProgressEvery <= 0 {
		c.opts.ProgressEvery = 2 * time.Second
	}
	if c.opts.LockTimeout <= 0 {
		c.opts.LockTimeout = 30 * time.Second
	}
	if c.opts.Now == nil {
		c.opts.Now = time.Now
	}
	start := time.Now()
	res = &Result{Source: from, Target: describe(cfg)}
	e, err := openEnds(ctx, from, cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()
	srcTx, tables, conn := e.srcTx, e.tables, e.conn
	// A target holding rows is refused before its schema is touched.
	if err := checkEmpty(ctx, conn); err != nil {
		return nil, err
	}
	c.logf("migrating %s to the latest schema", res.Target)
	st, err := postgres.Open(ctx, dsn, postgres.Options{Now: c.opts.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}

	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("target: begin: %w", err)
	}
	defer tx.Rollback(context.Background())
	plan, targetOnly, err := planTables(ctx, tx, tables)
	if err != nil {
		return nil, err
	}
	// Nobody writes to the tables until the copy commits, and they are
	// still empty now that they are locked.
	if err := lockTables(ctx, tx, append(names(plan), targetOnly...), c.opts.LockTimeout); err != nil {
		return nil, err
	}
	if err := checkEmpty(ctx, tx); err != nil {
		return nil, err
	}
	// Foreign keys go while the rows come in (sms_log, sessions and
	// transfers refer to each other, so no order of tables satisfies them)
	// and come back afterwards, which checks every copied row against them.
	fks, err := dropForeignKeys(ctx, tx)
	if err != nil {
		return nil, err
	}

	sums := make(map[string]digest, len(plan))
	for _, t := range plan {
		d, elapsed, err := c.copyTable(ctx, srcTx, tx, t)
		if err != nil {
			return nil, err
		}
		sums[t.name] = d
		res.Tables = append(res.Tables, Table{Name: t.name, Rows: d.rows, Checksum: d.sum, Elapsed: elapsed})
	}
	for _, name := range targetOnly {
		res.Tables = append(res.Tables, Table{Name: name, TargetOnly: true})
	}
	slices.SortFunc(res.Tables, func(a, b Table) int { return strings.Compare(a.Name, b.Name) })

	c.logf("restoring %d foreign keys", len(fks))
	if err := restoreForeignKeys(ctx, tx, fks); err != nil {
		return nil, err
	}
	if res.Sequences, err = moveSequences(ctx, tx); err != nil {
		return nil, err
	}

	c.logf("verifying")
	if err := verifyTables(ctx, pgSide{tx}, plan, sums); err != nil {
		return nil, err
	}
	if res.Ledger, err = verifyLedger(ctx, sqliteSide{srcTx}, pgSide{tx}, plan); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("target: commit: %w", err)
	}
	// Fresh planner statistics for the new rows; autovacuum would get
	// there later.
	for _, t := range plan {
		if _, err := conn.Exec(ctx, "ANALYZE "+ident(t.name)); err != nil {
			c.logf("analyze %s: %v (harmless)", t.name, err)
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// Verify compares the SQLite database file from with the PostgreSQL
// database dsn as Copy does after copying: every table's row count and
// checksum, and the ledger. It writes to neither. A difference is a
// *MismatchError.
func Verify(ctx context.Context, from, dsn string) (res *Result, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	defer func() { err = redact(err, cfg.Password) }()
	start := time.Now()
	res = &Result{Source: from, Target: describe(cfg)}
	e, err := openEnds(ctx, from, cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()
	srcTx, tables := e.srcTx, e.tables
	tx, err := e.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("target: begin: %w", err)
	}
	defer tx.Rollback(context.Background())
	plan, _, err := planTables(ctx, tx, tables)
	if err != nil {
		return nil, err
	}
	sums := make(map[string]digest, len(plan))
	for _, t := range plan {
		d, err := tableDigest(ctx, sqliteSide{srcTx}, t)
		if err != nil {
			return nil, err
		}
		sums[t.name] = d
		res.Tables = append(res.Tables, Table{Name: t.name, Rows: d.rows, Checksum: d.sum})
	}
	if err := verifyTables(ctx, pgSide{tx}, plan, sums); err != nil {
		return nil, err
	}
	if res.Ledger, err = verifyLedger(ctx, sqliteSide{srcTx}, pgSide{tx}, plan); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// ends are both databases of a copy or a verification: the source read in
// one transaction (a snapshot) with its tables, and a connection to the
// target.
type ends struct {
	src    *sql.DB
	srcTx  *sql.Tx
	tables []srcTable
	conn   *pgx.Conn
}

func openEnds(ctx context.Context, from string, cfg *pgx.ConnConfig) (*ends, error) {
	src, srcTx, err := openSource(ctx, from)
	if err != nil {
		return nil, err
	}
	e := &ends{src: src, srcTx: srcTx}
	if e.tables, err = sourceTables(ctx, srcTx); err == nil {
		e.conn, err = connect(ctx, cfg)
	}
	if err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *ends) close() {
	if e.conn != nil {
		_ = e.conn.Close(context.Background())
	}
	_ = e.srcTx.Rollback()
	_ = e.src.Close()
}

type copier struct {
	opts     Options
	progress io.Writer
}

func (c *copier) logf(format string, args ...any) {
	fmt.Fprintf(c.progress, format+"\n", args...)
}

// describe names a PostgreSQL database without its password.
func describe(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// redactedError is an error whose text had the password taken out.
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact takes password out of err's text, should any layer have put it
// there.
func redact(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &redactedError{err: err, msg: strings.ReplaceAll(err.Error(), password, "xxxxx")}
}

// ident quotes an identifier for SQLite and PostgreSQL alike.
func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// ---- source ----

// openSource opens the SQLite file read-only, starts the read transaction
// everything is read in and checks that its schema is this program's.
func openSource(ctx context.Context, path string) (*sql.DB, *sql.Tx, error) {
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("source: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("source: begin: %w", err)
	}
	if err := checkSourceSchema(ctx, tx); err != nil {
		tx.Rollback()
		db.Close()
		return nil, nil, err
	}
	return db, tx, nil
}

// checkSourceSchema compares the migrations the source has applied with
// the ones this program knows: a copy of an older schema would miss
// columns, one of a newer schema would lose them.
func checkSourceSchema(ctx context.Context, tx *sql.Tx) error {
	known, err := sqlite.SchemaVersions()
	if err != nil {
		return err
	}
	var have []int
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_version ORDER BY version")
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return fmt.Errorf("%w: the file is not an smsgw database (no schema_version table)", ErrSourceSchema)
		}
		return fmt.Errorf("source: read schema version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("source: read schema version: %w", err)
		}
		have = append(have, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("source: read schema version: %w", err)
	}
	var missing, unknown []int
	for _, v := range known {
		if !slices.Contains(have, v) {
			missing = append(missing, v)
		}
	}
	for _, v := range have {
		if !slices.Contains(known, v) {
			unknown = append(unknown, v)
		}
	}
	switch {
	case len(unknown) > 0:
		return fmt.Errorf("%w: it has migrations %v, which this program does not know: copy it with the smsgw version that wrote it", ErrSourceSchema, unknown)
	case len(missing) > 0:
		return fmt.Errorf("%w: it lacks migrations %v: run `smsgw migrate` on it (with the daemon's config) first", ErrSourceSchema, missing)
	}
	return nil
}

// srcTable is a table of the source: its columns and the ones its rows
// are ordered by (its primary key, or every column when it has none).
type srcTable struct {
	name  string
	cols  []string
	order []string
}

// sourceTables lists the source's tables from its schema.
func sourceTables(ctx context.Context, tx *sql.Tx) ([]srcTable, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("source: list tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("source: list tables: %w", err)
		}
		if !bookkeeping[n] {
			names = append(names, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source: list tables: %w", err)
	}
	var ts []srcTable
	for _, n := range names {
		t := srcTable{name: n}
		// pragma_table_info leaves out generated columns, which the target
		// computes itself.
		rows, err := tx.QueryContext(ctx, "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", n)
		if err != nil {
			return nil, fmt.Errorf("source: columns of %s: %w", n, err)
		}
		pk := map[int]string{}
		for rows.Next() {
			var (
				col string
				k   int
			)
			if err := rows.Scan(&col, &k); err != nil {
				rows.Close()
				return nil, fmt.Errorf("source: columns of %s: %w", n, err)
			}
			t.cols = append(t.cols, col)
			if k > 0 {
				pk[k] = col
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("source: columns of %s: %w", n, err)
		}
		for k := 1; k <= len(pk); k++ {
			t.order = append(t.order, pk[k])
		}
		if len(t.order) == 0 {
			t.order = t.cols
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// ---- target ----

// connect opens the connection the copy runs on. The copy is one long
// transaction: no statement or idle timeout of the role applies to it.
func connect(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	cfg = cfg.Copy()
	cfg.RuntimeParams["application_name"] = "smsgw store copy"
	cfg.RuntimeParams["statement_timeout"] = "0"
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "0"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("target: connect: %w", err)
	}
	var schema *string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("target: %w", err)
	}
	if schema == nil {
		conn.Close(context.Background())
		return nil, errors.New("target: no schema on the search_path exists")
	}
	return conn, nil
}

// pgQuerier is what the target is read through: a connection or a
// transaction.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// baseTables lists the tables of the target's schema.
func baseTables(ctx context.Context, q pgQuerier) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, fmt.Errorf("target: list tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("target: list tables: %w", err)
	}
	return names, nil
}

// checkEmpty refuses a target whose tables (but the bookkeeping) hold a row.
func checkEmpty(ctx context.Context, q pgQuerier) error {
	tables, err := baseTables(ctx, q)
	if err != nil {
		return err
	}
	var full []string
	for _, t := range tables {
		if bookkeeping[t] {
			continue
		}
		var any bool
		if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+ident(t)+")").Scan(&any); err != nil {
			return fmt.Errorf("target: check %s is empty: %w", t, err)
		}
		if any {
			full = append(full, t)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w: %s hold rows; store copy only fills an empty database (create a new one, or drop and recreate this one if its rows are not needed)",
			ErrTargetNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// column is a column copied: its name and its type in the target.
type column struct {
	name   string
	pgType string // information_schema data_type
}

// plannedTable is a source table with its target column types.
type plannedTable struct {
	name  string
	cols  []column
	order []string
	text  map[string]bool // order columns the target orders by collation
}

// planTables matches every source table and column with the target's and
// returns the tables to copy and the target's tables the source does not
// have.
func planTables(ctx context.Context, q pgQuerier, src []srcTable) ([]plannedTable, []string, error) {
	rows, err := q.Query(ctx, `SELECT c.table_name::text, c.column_name::text, c.data_type::text,
			c.is_nullable = 'YES' OR c.column_default IS NOT NULL OR c.is_identity = 'YES' OR c.is_generated <> 'NEVER'
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, nil, fmt.Errorf("target: read schema: %w", err)
	}
	type tcol struct {
		typ      string
		optional bool
	}
	target := map[string]map[string]tcol{}
	var order []string
	var (
		tn, cn, typ string
		optional    bool
	)
	_, err = pgx.ForEachRow(rows, []any{&tn, &cn, &typ, &optional}, func() error {
		if target[tn] == nil {
			target[tn] = map[string]tcol{}
			order = append(order, tn)
		}
		target[tn][cn] = tcol{typ, optional}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("target: read schema: %w", err)
	}
	var plan []plannedTable
	seen := map[string]bool{}
	for _, s := range src {
		tcols, ok := target[s.name]
		if !ok {
			return nil, nil, fmt.Errorf("%w: table %s has no counterpart in the PostgreSQL schema", ErrSchemaMismatch, s.name)
		}
		seen[s.name] = true
		p := plannedTable{name: s.name, order: s.order, text: map[string]bool{}}
		for _, c := range s.cols {
			if sqliteOnly[s.name+"."+c] {
				continue
			}
			tc, ok := tcols[c]
			if !ok {
				return nil, nil, fmt.Errorf("%w: column %s.%s has no counterpart in the PostgreSQL schema", ErrSchemaMismatch, s.name, c)
			}
			if _, err := converter(tc.typ); err != nil {
				return nil, nil, fmt.Errorf("%w: column %s.%s: %v", ErrSchemaMismatch, s.name, c, err)
			}
			p.cols = append(p.cols, column{name: c, pgType: tc.typ})
			if isText(tc.typ) {
				p.text[c] = true
			}
		}
		for c, tc := range tcols {
			if !slices.Contains(s.cols, c) && !tc.optional {
				return nil, nil, fmt.Errorf("%w: column %s.%s is required in PostgreSQL and the SQLite database has no such column",
					ErrSchemaMismatch, s.name, c)
			}
		}
		plan = append(plan, p)
	}
	var targetOnly []string
	for _, t := range order {
		if !seen[t] && !bookkeeping[t] {
			targetOnly = append(targetOnly, t)
		}
	}
	return plan, targetOnly, nil
}

func names(plan []plannedTable) []string {
	ns := make([]string, len(plan))
	for i, t := range plan {
		ns[i] = t.name
	}
	return ns
}

// lockTables takes every table for the transaction: no other client reads
// half a copy or writes beside it.
func lockTables(ctx context.Context, tx pgx.Tx, tables []string, timeout time.Duration) error {
	if len(tables) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", timeout.Milliseconds())); err != nil {
		return fmt.Errorf("target: %w", err)
	}
	qs := make([]string, len(tables))
	for i, t := range tables {
		qs[i] = ident(t)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(qs, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("target: lock the tables (is a daemon using this database?): %w", err)
	}
	if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = 0"); err != nil {
		return fmt.Errorf("target: %w", err)
	}
	return nil
}

// foreignKey is a foreign key constraint of the target.
type foreignKey struct{ table, name, def string }

// dropForeignKeys drops the foreign keys of the target's schema and
// returns them.
func dropForeignKeys(ctx context.Context, tx pgx.Tx) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, `SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid)
		FROM pg_constraint
		WHERE contype = 'f' AND connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("target: read foreign keys: %w", err)
	}
	var fks []foreignKey
	var fk foreignKey
	if _, err := pgx.ForEachRow(rows, []any{&fk.table, &fk.name, &fk.def}, func() error {
		fks = append(fks, fk)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("target: read foreign keys: %w", err)
	}
	for _, fk := range fks {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+fk.table+" DROP CONSTRAINT "+ident(fk.name)); err != nil {
			return nil, fmt.Errorf("target: drop foreign key %s for the copy: %w", fk.name, err)
		}
	}
	return fks, nil
}

// restoreForeignKeys adds the foreign keys back, which checks every row.
func restoreForeignKeys(ctx context.Context, tx pgx.Tx, fks []foreignKey) error {
	for _, fk := range fks {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+fk.table+" ADD CONSTRAINT "+ident(fk.name)+" "+fk.def); err != nil {
			return fmt.Errorf("verification failed: table %s: foreign key %s (%s) does not hold for the copied rows: %w", fk.table, fk.name, fk.def, err)
		}
	}
	return nil
}

// moveSequences sets every identity or serial sequence of the target's
// schema to the highest id copied, so that the next row gets a new id.
func moveSequences(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, err := tx.Query(ctx, `SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')
		ORDER BY 1, 2`)
	if err != nil {
		return 0, fmt.Errorf("target: read sequences: %w", err)
	}
	type seqCol struct{ table, col string }
	var cols []seqCol
	var sc seqCol
	if _, err := pgx.ForEachRow(rows, []any{&sc.table, &sc.col}, func() error {
		cols = append(cols, sc)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("target: read sequences: %w", err)
	}
	n := 0
	for _, c := range cols {
		var seq *string
		if err := tx.QueryRow(ctx, "SELECT pg_get_serial_sequence($1, $2)", ident(c.table), c.col).Scan(&seq); err != nil {
			return 0, fmt.Errorf("target: sequence of %s.%s: %w", c.table, c.col, err)
		}
		if seq == nil {
			continue
		}
		// setval(max) makes the next value max+1; an empty table keeps
		// its sequence at the start.
		if _, err := tx.Exec(ctx, "SELECT setval($1, m) FROM (SELECT max("+ident(c.col)+") AS m FROM "+ident(c.table)+") AS x WHERE m IS NOT NULL", *seq); err != nil {
			return 0, fmt.Errorf("target: move sequence %s: %w", *seq, err)
		}
		n++
	}
	return n, nil
}

// ---- copying ----

// copyTable copies one table with COPY and returns the digest of the
// source rows it read.
func (c *copier) copyTable(ctx context.Context, src *sql.Tx, dst pgx.Tx, t plannedTable) (digest, time.Duration, error) {
	start := time.Now()
	var total int64
	if err := src.QueryRowContext(ctx, "SELECT count(*) FROM "+ident(t.name)).Scan(&total); err != nil {
		return digest{}, 0, fmt.Errorf("source: count %s: %w", t.name, err)
	}
	rows, err := src.QueryContext(ctx, sqliteSelect(t))
	if err != nil {
		return digest{}, 0, fmt.Errorf("source: read %s: %w", t.name, err)
	}
	defer rows.Close()
	rs := &rowSource{t: t, rows: rows, h: sha256.New(), last: start,
		vals: make([]any, len(t.cols)), ptrs: make([]any, len(t.cols)), out: make([]any, len(t.cols))}
	for i, col := range t.cols {
		rs.ptrs[i] = &rs.vals[i]
		rs.conv = append(rs.conv, must(converter(col.pgType)))
	}
	rs.report = func(n int64) {
		if time.Since(rs.last) >= c.opts.ProgressEvery {
			rs.last = time.Now()
			c.logf("  %s: %d of %d rows (%.0f%%)", t.name, n, total, 100*float64(n)/float64(max(total, 1)))
		}
	}
	cols := make([]string, len(t.cols))
	for i, col := range t.cols {
		cols[i] = col.name
	}
	n, err := dst.CopyFrom(ctx, pgx.Identifier{t.name}, cols, rs)
	if err != nil {
		return digest{}, 0, fmt.Errorf("copy %s: %w", t.name, err)
	}
	if n != rs.n {
		return digest{}, 0, fmt.Errorf("copy %s: %d rows read, %d written", t.name, rs.n, n)
	}
	elapsed := time.Since(start)
	c.logf("copied %s: %d rows in %s", t.name, n, elapsed.Round(time.Millisecond))
	d := digest{rows: rs.n}
	rs.h.Sum(d.sum[:0])
	return d, elapsed, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// rowSource feeds the source rows of one table to COPY, converted for
// their target columns, hashing them as read.
type rowSource struct {
	t      plannedTable
	rows   *sql.Rows
	vals   []any // the row as read from SQLite
	ptrs   []any
	out    []any // the row as written to PostgreSQL
	conv   []convertFunc
	h      hash.Hash
	buf    []byte
	n      int64
	err    error
	last   time.Time
	report func(n int64)
}

func (s *rowSource) Next() bool {
	if s.err != nil || !s.rows.Next() {
		return false
	}
	if err := s.rows.Scan(s.ptrs...); err != nil {
		s.err = fmt.Errorf("source: read %s: %w", s.t.name, err)
		return false
	}
	var err error
	if s.buf, err = appendRow(s.buf[:0], s.vals); err != nil {
		s.err = fmt.Errorf("source: %s row %s: %w", s.t.name, s.key(), err)
		return false
	}
	s.h.Write(s.buf)
	for i, v := range s.vals {
		if s.out[i], err = s.conv[i](v); err != nil {
			s.err = fmt.Errorf("%w: %s.%s (row %s): %v", ErrSchemaMismatch, s.t.name, s.t.cols[i].name, s.key(), err)
			return false
		}
	}
	s.n++
	s.report(s.n)
	return true
}

func (s *rowSource) Values() ([]any, error) { return s.out, nil }

func (s *rowSource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// key names the current row by its order columns.
func (s *rowSource) key() string {
	var parts []string
	for _, o := range s.t.order {
		for i, c := range s.t.cols {
			if c.name == o {
				parts = append(parts, fmt.Sprintf("%s=%v", o, printable(s.vals[i])))
			}
		}
	}
	return strings.Join(parts, ",")
}

func printable(v any) any {
	switch v := v.(type) {
	case []byte:
		return fmt.Sprintf("blob(%d bytes)", len(v))
	case string:
		return fmt.Sprintf("%q", v)
	}
	return v
}

// convertFunc turns a value read from SQLite into one for a PostgreSQL
// column.
type convertFunc func(v any) (any, error)

// isText reports whether a PostgreSQL type is collatable text.
func isText(pgType string) bool {
	switch pgType {
	case "text", "character varying", "character":
		return true
	}
	return false
}

// converter returns the conversion into a column of type pgType (an
// information_schema data_type). Values are carried over only where the
// two engines mean the same by them; anything else is an error.
func converter(pgType string) (convertFunc, error) {
	intRange := func(lo, hi int64) convertFunc {
		return func(v any) (any, error) {
			switch v := v.(type) {
			case nil:
				return nil, nil
			case int64:
				if v < lo || v > hi {
					return nil, fmt.Errorf("integer %d out of range for %s", v, pgType)
				}
				return v, nil
			}
			return nil, fmt.Errorf("%s value %v does not fit a %s column", sqliteType(v), printable(v), pgType)
		}
	}
	switch {
	case pgType == "bigint":
		return intRange(math.MinInt64, math.MaxInt64), nil
	case pgType == "integer":
		return intRange(math.MinInt32, math.MaxInt32), nil
	case pgType == "smallint":
		return intRange(math.MinInt16, math.MaxInt16), nil
	case isText(pgType):
		return func(v any) (any, error) {
			switch v := v.(type) {
			case nil:
				return nil, nil
			case string:
				if !utf8.ValidString(v) {
					return nil, errors.New("text is not valid UTF-8")
				}
				if strings.ContainsRune(v, 0) {
					return nil, errors.New("text holds a NUL character, which PostgreSQL text cannot")
				}
				return v, nil
			}
			return nil, fmt.Errorf("%s value %v does not fit a %s column", sqliteType(v), printable(v), pgType)
		}, nil
	case pgType == "bytea":
		return func(v any) (any, error) {
			switch v := v.(type) {
			case nil:
				return nil, nil
			case []byte:
				return v, nil
			}
			return nil, fmt.Errorf("%s value %v does not fit a %s column", sqliteType(v), printable(v), pgType)
		}, nil
	case pgType == "boolean":
		return func(v any) (any, error) {
			switch v := v.(type) {
			case nil:
				return nil, nil
			case int64:
				if v == 0 || v == 1 {
					return v == 1, nil
				}
			}
			return nil, fmt.Errorf("%s value %v does not fit a %s column", sqliteType(v), printable(v), pgType)
		}, nil
	case pgType == "double precision" || pgType == "real":
		return func(v any) (any, error) {
			switch v := v.(type) {
			case nil:
				return nil, nil
			case float64:
				return v, nil
			}
			return nil, fmt.Errorf("%s value %v does not fit a %s column", sqliteType(v), printable(v), pgType)
		}, nil
	}
	return nil, fmt.Errorf("PostgreSQL type %s is not one store copy carries values into", pgType)
}

// sqliteType names the SQLite storage class of a value read.
func sqliteType(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case int64:
		return "INTEGER"
	case float64:
		return "REAL"
	case string:
		return "TEXT"
	case []byte:
		return "BLOB"
	}
	return fmt.Sprintf("%T", v)
}

// ---- digests ----

// digest is a table's row count and SHA-256 over its rows.
type digest struct {
	rows int64
	sum  [sha256.Size]byte
}

// appendRow appends the canonical encoding of one row to b: per value a
// type tag and the value, integers as 8 bytes big-endian, text and blobs
// with their length. A value reads the same from either engine when it was
// carried over exactly; a boolean is the integer 0 or 1 it came from.
func appendRow(b []byte, vals []any) ([]byte, error) {
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			b = append(b, 'N')
		case int64:
			b = binary.BigEndian.AppendUint64(append(b, 'I'), uint64(v))
		case int32:
			b = binary.BigEndian.AppendUint64(append(b, 'I'), uint64(int64(v)))
		case int16:
			b = binary.BigEndian.AppendUint64(append(b, 'I'), uint64(int64(v)))
		case bool:
			var i uint64
			if v {
				i = 1
			}
			b = binary.BigEndian.AppendUint64(append(b, 'I'), i)
		case float64:
			b = binary.BigEndian.AppendUint64(append(b, 'F'), math.Float64bits(v))
		case float32:
			b = binary.BigEndian.AppendUint64(append(b, 'F'), math.Float64bits(float64(v)))
		case string:
			b = binary.BigEndian.AppendUint64(append(b, 'T'), uint64(len(v)))
			b = append(b, v...)
		case []byte:
			b = binary.BigEndian.AppendUint64(append(b, 'B'), uint64(len(v)))
			b = append(b, v...)
		default:
			return nil, fmt.Errorf("value of type %T cannot be compared", v)
		}
	}
	return b, nil
}

// side is one database of a comparison, read inside its transaction.
type side interface {
	name() string
	// each runs query and calls fn with every row's values.
	each(ctx context.Context, query string, fn func(vals []any) error) error
	// selectAll is the statement reading every row of t in order.
	selectAll(t plannedTable) string
}

type sqliteSide struct{ tx *sql.Tx }

func (sqliteSide) name() string { return "source" }

func (s sqliteSide) each(ctx context.Context, query string, fn func([]any) error) error {
	rows, err := s.tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (sqliteSide) selectAll(t plannedTable) string { return sqliteSelect(t) }

// sqliteSelect reads every row of t in order. Each column is read as +col,
// which has no declared type, so the driver hands over the stored value
// as it is (it would turn a column declared DATETIME into a time.Time).
// BINARY orders text by its bytes, as PostgreSQL's "C" collation does.
func sqliteSelect(t plannedTable) string {
	cols := make([]string, len(t.cols))
	for i, c := range t.cols {
		cols[i] = "+" + ident(c.name)
	}
	order := make([]string, len(t.order))
	for i, c := range t.order {
		order[i] = ident(c) + " COLLATE BINARY"
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + ident(t.name) + " ORDER BY " + strings.Join(order, ", ")
}

type pgSide struct{ tx pgx.Tx }

func (pgSide) name() string { return "target" }

func (s pgSide) each(ctx context.Context, query string, fn func([]any) error) error {
	rows, err := s.tx.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// selectAll orders text by its bytes ("C"), as SQLite's BINARY does, and
// puts NULLs first, as SQLite does.
func (pgSide) selectAll(t plannedTable) string {
	cols := make([]string, len(t.cols))
	for i, c := range t.cols {
		cols[i] = ident(c.name)
	}
	order := make([]string, len(t.order))
	for i, c := range t.order {
		order[i] = ident(c)
		if t.text[c] {
			order[i] += ` COLLATE "C"`
		}
		order[i] += " NULLS FIRST"
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + ident(t.name) + " ORDER BY " + strings.Join(order, ", ")
}

// tableDigest reads every row of t from one side.
func tableDigest(ctx context.Context, s side, t plannedTable) (digest, error) {
	h := sha256.New()
	var (
		d   digest
		buf []byte
	)
	err := s.each(ctx, s.selectAll(t), func(vals []any) error {
		var err error
		if buf, err = appendRow(buf[:0], vals); err != nil {
			return err
		}
		h.Write(buf)
		d.rows++
		return nil
	})
	if err != nil {
		return digest{}, fmt.Errorf("%s: read %s: %w", s.name(), t.name, err)
	}
	h.Sum(d.sum[:0])
	return d, nil
}

// verifyTables compares each table's count and digest in the target with
// the source's.
func verifyTables(ctx context.Context, dst side, plan []plannedTable, want map[string]digest) error {
	for _, t := range plan {
		var n int64
		if err := dst.each(ctx, "SELECT count(*) FROM "+ident(t.name), func(v []any) error {
			var err error
			n, err = asInt(v[0])
			return err
		}); err != nil {
			return fmt.Errorf("%s: count %s: %w", dst.name(), t.name, err)
		}
		w := want[t.name]
		if n != w.rows {
			return &MismatchError{Table: t.name, What: "row count", Source: fmt.Sprint(w.rows), Target: fmt.Sprint(n)}
		}
		got, err := tableDigest(ctx, dst, t)
		if err != nil {
			return err
		}
		if got != w {
			return &MismatchError{Table: t.name, What: "checksum (SHA-256 of every row)",
				Source: fmt.Sprintf("%x", w.sum[:8]), Target: fmt.Sprintf("%x", got.sum[:8])}
		}
	}
	return nil
}

func asInt(v any) (int64, error) {
	switch v := v.(type) {
	case int64:
		return v, nil
	case int32:
		return int64(v), nil
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("not an integer: %T %v", v, v)
}

// ledgerView is what the ledger holds, read from one side.
type ledgerView struct {
	entries, sum, transfers, unbalanced int64
	perAccount                          map[string][2]int64 // account → entries, sum
	balances                            map[string]int64
}

func readLedger(ctx context.Context, s side) (*ledgerView, error) {
	l := &ledgerView{perAccount: map[string][2]int64{}, balances: map[string]int64{}}
	ints := func(query string, dst ...*int64) error {
		return s.each(ctx, query, func(v []any) error {
			for i := range dst {
				n, err := asInt(v[i])
				if err != nil {
					return err
				}
				*dst[i] = n
			}
			return nil
		})
	}
	steps := []struct {
		what string
		run  func() error
	}{
		{"entries", func() error {
			return ints("SELECT count(*), CAST(coalesce(sum(amount), 0) AS BIGINT) FROM ledger_entries", &l.entries, &l.sum)
		}},
		{"transfers", func() error { return ints("SELECT count(*) FROM transfers", &l.transfers) }},
		{"unbalanced transfers", func() error {
			return ints(`SELECT count(*) FROM (SELECT transfer_id FROM ledger_entries
				GROUP BY transfer_id HAVING sum(amount) <> 0) AS x`, &l.unbalanced)
		}},
		{"entries per account", func() error {
			return s.each(ctx, "SELECT account, count(*), CAST(sum(amount) AS BIGINT) FROM ledger_entries GROUP BY account",
				func(v []any) error {
					acct, ok := v[0].(string)
					if !ok {
						return fmt.Errorf("account %v is not text", v[0])
					}
					n, err1 := asInt(v[1])
					sum, err2 := asInt(v[2])
					l.perAccount[acct] = [2]int64{n, sum}
					return errors.Join(err1, err2)
				})
		}},
		{"balances", func() error {
			return s.each(ctx, "SELECT id, balance FROM accounts", func(v []any) error {
				id, ok := v[0].(string)
				if !ok {
					return fmt.Errorf("account %v is not text", v[0])
				}
				b, err := asInt(v[1])
				l.balances[id] = b
				return err
			})
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return nil, fmt.Errorf("%s: read the ledger (%s): %w", s.name(), st.what, err)
		}
	}
	return l, nil
}

// verifyLedger compares the ledger of both sides and checks its
// invariants on the target. It is skipped when the source has no ledger.
func verifyLedger(ctx context.Context, src, dst side, plan []plannedTable) (*Ledger, error) {
	has := map[string]bool{}
	for _, t := range plan {
		has[t.name] = true
	}
	if !has["ledger_entries"] || !has["accounts"] || !has["transfers"] {
		return nil, nil
	}
	s, err := readLedger(ctx, src)
	if err != nil {
		return nil, err
	}
	d, err := readLedger(ctx, dst)
	if err != nil {
		return nil, err
	}
	mismatch := func(table, what string, a, b any) error {
		return &MismatchError{Table: table, What: what, Source: fmt.Sprint(a), Target: fmt.Sprint(b)}
	}
	switch {
	case s.entries != d.entries:
		return nil, mismatch("ledger_entries", "number of entries", s.entries, d.entries)
	case s.sum != d.sum:
		return nil, mismatch("ledger_entries", "sum of the entries", s.sum, d.sum)
	case s.transfers != d.transfers:
		return nil, mismatch("transfers", "number of transfers", s.transfers, d.transfers)
	case len(s.balances) != len(d.balances):
		return nil, mismatch("accounts", "number of accounts", len(s.balances), len(d.balances))
	}
	for _, id := range sortedKeys(s.perAccount) {
		if s.perAccount[id] != d.perAccount[id] {
			return nil, mismatch("ledger_entries", "entries (count, sum) of account "+id, s.perAccount[id], d.perAccount[id])
		}
	}
	if len(s.perAccount) != len(d.perAccount) {
		return nil, mismatch("ledger_entries", "number of accounts with entries", len(s.perAccount), len(d.perAccount))
	}
	var total int64
	for _, id := range sortedKeys(s.balances) {
		b, ok := d.balances[id]
		if !ok || s.balances[id] != b {
			return nil, mismatch("accounts", "balance of account "+id, s.balances[id], b)
		}
		total += b
		// Each balance is the sum of its entries, on the source too: a
		// ledger that does not balance is reported, not carried over.
		if e := d.perAccount[id][1]; e != b {
			return nil, fmt.Errorf("verification failed: table accounts: balance of account %s is %d, its entries sum to %d (so in the source too: check the SQLite ledger)", id, b, e)
		}
	}
	if d.sum != 0 {
		return nil, fmt.Errorf("verification failed: table ledger_entries: the entries sum to %d, not 0 (so in the source too: check the SQLite ledger)", d.sum)
	}
	if d.unbalanced != 0 || s.unbalanced != 0 {
		return nil, fmt.Errorf("verification failed: table ledger_entries: %d transfers' entries do not sum to 0 (source: %d)", d.unbalanced, s.unbalanced)
	}
	return &Ledger{Entries: d.entries, Sum: d.sum, Accounts: len(d.balances), Balances: total, Transfers: d.transfers}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
