// Package postgres implements smsgw.Store on PostgreSQL (github.com/jackc/pgx/v5,
// pgxpool), for installations that outgrow one machine: several daemons
// share one database.
//
// The statements are package sqlstore's, the same as the SQLite store's;
// this package owns the connections, the transactions, the schema and its
// migrations (migrations/NNNN_*.sql, numbered apart from SQLite's) and the
// mapping of PostgreSQL errors.
//
// Every Update runs at SERIALIZABLE isolation: PostgreSQL then guarantees
// that concurrent Updates, from this process or another daemon, have the
// effect of running one at a time, as the SQLite store's single writer
// does. A transaction that PostgreSQL aborts for a conflict with another
// (serialization failure, deadlock) is run again from the start, so fn may
// run more than once, as smsgw.Store allows. View runs read-only on one
// snapshot (REPEATABLE READ).
package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNewerSchema is returned by Open when the database was migrated by a
// newer program.
var ErrNewerSchema = sqlstore.ErrNewerSchema

// Defaults of Options.
const (
	DefaultStatementTimeout = 30 * time.Second
	// maxAttempts bounds how often Update runs a transaction that keeps
	// conflicting with others.
	maxAttempts = 50
	// DefaultWriters is the default of Options.Writers.
	DefaultWriters = 4
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// MaxConns is the size of the connection pool (default: pgxpool's,
	// the larger of 4 and the number of CPUs). Each Update and View holds
	// one connection while it runs.
	MaxConns int32
	// StatementTimeout ends any statement that runs longer (PostgreSQL's
	// statement_timeout; default DefaultStatementTimeout).
	StatementTimeout time.Duration
	// Writers bounds the write transactions this process runs at once
	// (default DefaultWriters); the others wait for their turn.
	Writers int
	// Now is the clock for timestamps the caller leaves zero. Default
	// time.Now.
	Now func() time.Time
	// Logger receives the store's log lines. Default slog.Default().
	Logger *slog.Logger
}

// Store is a smsgw.Store on one PostgreSQL database. It is safe for
// concurrent use, and several processes may use the same database.
type Store struct {
	pool *pgxpool.Pool
	db   *sql.DB // database/sql over the pool, for package sqlstore
	// writers holds a token per write transaction running (Options.Writers).
	writers chan struct{}
	now     func() time.Time
	log     *slog.Logger
}

var (
	_ smsgw.Store = (*Store)(nil)
	_ partner.Tx  = (*sqlstore.Tx)(nil)
)

// Open connects to the database at dsn (a PostgreSQL URL or key=value
// string), applies pending migrations and returns the Store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err) // pgx keeps the password out of this error
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	timeout := opts.StatementTimeout
	if timeout <= 0 {
		timeout = DefaultStatementTimeout
	}
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	cfg.ConnConfig.RuntimeParams["application_name"] = "smsgw"
	s := &Store{now: opts.Now, log: opts.Logger, writers: make(chan struct{}, cmp.Or(max(opts.Writers, 0), DefaultWriters))}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "store")
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", cfg.ConnConfig.Host, err)
	}
	s.db = stdlib.OpenDBFromPool(s.pool)
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err == nil {
		err = sqlstore.Migrate(ctx, s.db, sub, dialect, s.log, s.now)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	s.log.Info("database opened", "host", cfg.ConnConfig.Host, "database", cfg.ConnConfig.Database)
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	err := s.db.Close()
	s.pool.Close()
	if err != nil {
		return fmt.Errorf("postgres: close: %w", err)
	}
	return nil
}

// SchemaVersion returns the highest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}

// Update runs fn in a SERIALIZABLE transaction and returns once it has
// committed. A transaction that conflicts with another one is rolled back
// and fn runs again (up to maxAttempts times); fn's own errors are
// returned unchanged, with everything it wrote rolled back.
func (s *Store) Update(ctx context.Context, fn func(smsgw.Tx) error) error {
	// Few writers at a time from this process: transactions that touch the
	// same rows (every credit updates the settlement account) conflict,
	// and many at once would mostly run to be rolled back.
	select {
	case s.writers <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writers }()
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.run(ctx, fn, &sql.TxOptions{Isolation: sql.LevelSerializable})
		if err == nil || !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			if err != nil && retryable(err) {
				s.log.Warn("transaction kept conflicting; given up", "attempts", attempt, "err", err)
			}
			return err
		}
		// Back off exponentially, at random, so that the transactions that
		// conflicted do not meet again at once.
		d := backoff/2 + time.Duration(rand.Int64N(int64(backoff)))
		backoff = min(2*backoff, 100*time.Millisecond)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

// View runs fn in a read-only transaction that sees one snapshot.
func (s *Store) View(ctx context.Context, fn func(smsgw.Tx) error) error {
	return s.run(ctx, fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

func (s *Store) run(ctx context.Context, fn func(smsgw.Tx) error, opts *sql.TxOptions) (err error) {
	sqlTx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// Runs on error and on panic; a panic keeps unwinding after it.
			if rerr := sqlTx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
				s.log.Warn("rollback failed", "err", rerr)
			}
		}
	}()
	if err := fn(sqlstore.NewTx(ctx, querier{sqlTx}, dialect, s.now)); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	committed = true
	return nil
}

// retryable reports whether err is PostgreSQL aborting a transaction for
// a conflict with a concurrent one, which running it again resolves.
func retryable(err error) bool {
	if errors.Is(err, smsgw.ErrTxConflict) {
		return true
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", // serialization_failure
		"40P01": // deadlock_detected
		return true
	}
	return false
}

// dialect is PostgreSQL's SQL for package sqlstore.
var dialect = &sqlstore.Dialect{
	Constraint:  constraint,
	Conflict:    retryable,
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	SMSCIDs: `(SELECT coalesce(json_agg(smsc_id ORDER BY part), '[]'::json)::text
		FROM sms_smsc_ids WHERE sms_id = l.id)`,
	FoldEq:            func(col string) string { return "lower(" + col + ") = lower(?)" },
	StatementRollback: true,
	// Daemons starting together migrate one after the other.
	MigrationLock: "SELECT pg_advisory_xact_lock(7710293355)",
}

// constraint classifies a constraint violation by its SQLSTATE.
func constraint(err error) sqlstore.Constraint {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlstore.ConstraintNone
	}
	switch pe.Code {
	case "23505": // unique_violation
		return sqlstore.ConstraintUnique
	case "23514", "23502": // check_violation, not_null_violation
		return sqlstore.ConstraintCheck
	case "23503": // foreign_key_violation
		return sqlstore.ConstraintForeignKey
	}
	return sqlstore.ConstraintNone
}

// querier runs the statements of one transaction. The store's statements
// pass flags as Go bools, which SQLite stores as 0 and 1; the columns are
// integers here too, so bools are passed as integers.
type querier struct{ tx *sql.Tx }

func (q querier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.tx.ExecContext(ctx, query, ints(args)...)
}

func (q querier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.QueryContext(ctx, query, ints(args)...)
}

func (q querier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return q.tx.QueryRowContext(ctx, query, ints(args)...)
}

func ints(args []any) []any {
	for i, a := range args {
		if b, ok := a.(bool); ok {
			if b {
				args[i] = int64(1)
			} else {
				args[i] = int64(0)
			}
		}
	}
	return args
}
