package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/sqlstore"
)

// DefaultBusyTimeout is how long a connection waits for a lock held by
// another connection or process before failing with SQLITE_BUSY.
const DefaultBusyTimeout = 5 * time.Second

// DefaultLimit is the number of rows a list method returns when it is given
// a limit <= 0.
const DefaultLimit = sqlstore.DefaultLimit

// Options configure a Store. The zero value is usable.
type Options struct {
	// Now is the clock for timestamps the caller leaves zero (created_at,
	// updated_at, default next attempt). Default time.Now.
	Now func() time.Time
	// BusyTimeout bounds the wait for a lock held by another process.
	// Default DefaultBusyTimeout.
	BusyTimeout time.Duration
	// Logger receives lifecycle and migration messages. Default slog.Default().
	Logger *slog.Logger
	// MaxBatch is the most Update calls one group commit holds (see the
	// package documentation). Default DefaultMaxBatch; 1 commits every
	// Update on its own.
	MaxBatch int

	// Synchronous is "FULL" (the default): Update returns only once the
	// write-ahead log holding its commit is synced to disk, so an
	// acknowledged MO survives an OS crash or a power cut. The store syncs
	// the log itself, off the writer's path (logsync.go), rather than
	// SQLite inside every COMMIT. "NORMAL" does not sync the log before
	// Update returns (SQLite syncs it only around checkpoints): the
	// database stays consistent and survives a killed process, but an OS
	// crash or power cut can lose the last commits, acknowledged MOs and
	// credits included (their SMSs are not sent again by the SMSC).
	Synchronous string
}

// Store is a smsgw.Store on one SQLite database file. It is safe for
// concurrent use.
//
// A Store holds two connection pools on the same file: a writer with a
// single connection, which the writer goroutine holds once Open has applied
// the migrations (see writerConn), so write transactions of this process
// queue in Go (honouring their context) instead of failing with
// SQLITE_BUSY; and read-only connections (PRAGMA query_only) for View,
// which in WAL mode read a consistent snapshot while a write is in
// progress. Write transactions start with BEGIN IMMEDIATE.
type Store struct {
	path string
	busy time.Duration
	sync string  // Options.Synchronous: FULL or NORMAL
	w    *sql.DB // one connection, BEGIN IMMEDIATE
	r    *sql.DB // readers, query_only
	ck   *sql.DB // the checkpointer's one connection
	now  func() time.Time
	log  *slog.Logger

	// Group commit (batch.go): Update queues a call, the writer goroutine
	// runs up to maxBatch queued calls in one transaction.
	maxBatch   int
	queue      chan *call    // unbuffered: a call is taken or still the caller's
	bgQueue    chan *call    // the same, for calls of background work (smsgw.Background)
	closing    chan struct{} // closed by Close: the writer stops, Update fails
	closeOnce  sync.Once
	writerDone chan struct{} // closed when the writer goroutine has returned
	running    []*call       // the batch the writer runs (writer goroutine only; see goexit)
	ckDone     chan struct{} // closed when the checkpointer has returned
	// The syncer (logsync.go): with syncLog (FULL) the writer hands it the
	// calls of each commit, to answer once the log is synced.
	syncLog  bool
	syncq    chan []*call
	syncDone chan struct{}
	syncErr  atomic.Pointer[error] // a failed sync: every later Update fails
	walPath  string                // the log file SQLite writes (PRAGMA database_list + "-wal")
	walf     *os.File              // walPath, open for syncing (syncer only)
	broken   chan struct{}         // closed when syncErr is set
	// beforeSync, when set (by tests only, before the first Update), runs
	// before each sync of the log; an error fails the sync.
	beforeSync func() error
	stats      writeStats
	wc         *writerConn // the writer goroutine's connection; nil until its first transaction
	// beforeCommit, when set (by tests only, before the first Update), is
	// called before a group transaction of n calls commits; an error makes
	// the group fail as a failed COMMIT would.
	beforeCommit func(n int) error
}

var _ smsgw.Store = (*Store)(nil)

// The transactions of a Store hold the partner records too.
var _ partner.Tx = (*sqlstore.Tx)(nil)

// Open opens (creating if needed, with FileMode) the database at path,
// applies pending migrations and returns the Store. path must name a file: an in-memory
// database cannot be shared by the two pools.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: a plain file path is required", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	s := &Store{path: abs, now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "store")
	s.busy = opts.BusyTimeout
	if s.busy <= 0 {
		s.busy = DefaultBusyTimeout
	}
	switch s.sync = strings.ToUpper(opts.Synchronous); s.sync {
	case "":
		s.sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("sqlite: open %q: synchronous must be FULL or NORMAL, got %q", path, opts.Synchronous)
	}
	s.maxBatch = opts.MaxBatch
	if s.maxBatch <= 0 {
		s.maxBatch = DefaultMaxBatch
	}

	if err := s.privateFiles(); err != nil {
		return nil, err
	}
	s.w, err = sql.Open("sqlite3", s.dsn(roleWriter))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.checkWAL(ctx); err != nil {
		s.w.Close()
		return nil, err
	}
	if err := s.migrateAll(ctx); err != nil {
		s.w.Close()
		return nil, err
	}

	s.r, err = sql.Open("sqlite3", s.dsn(roleReader))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	if err := s.r.PingContext(ctx); err != nil {
		s.r.Close()
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s readers: %w", abs, err)
	}
	s.ck, err = sql.Open("sqlite3", s.dsn(roleCheckpoint))
	if err != nil {
		s.r.Close()
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s checkpointer: %w", abs, err)
	}
	s.ck.SetMaxOpenConns(1)
	s.ck.SetMaxIdleConns(1)
	s.queue = make(chan *call)
	s.bgQueue = make(chan *call)
	s.closing = make(chan struct{})
	s.writerDone = make(chan struct{})
	s.ckDone = make(chan struct{})
	s.syncLog = s.sync == "FULL"
	s.syncq = make(chan []*call, syncQueue)
	s.syncDone = make(chan struct{})
	s.broken = make(chan struct{})
	if s.syncLog {
		// The log SQLite writes: next to the file it opened, which is
		// where a symbolic link leads, not necessarily s.path.
		wal, err := s.walFile(ctx)
		if err == nil {
			s.walPath = wal
			// What the migrations wrote, before anything relies on it.
			err = s.syncWAL(true)
		}
		if err != nil {
			s.closeWAL()
			s.ck.Close()
			s.r.Close()
			s.w.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
		}
	}
	go s.writer()
	go s.syncer()
	go s.checkpointer(s.ck)
	s.log.Info("database opened", "path", abs)
	return s, nil
}

// FileMode is the mode of the database file, and so of its -wal and -shm
// files, which SQLite creates with the mode of the database file: they
// hold PIN hashes, sealed MO parts and the ledger, readable by the owner
// only (like the PIN key file).
const FileMode os.FileMode = 0o600

// privateFiles creates the database file with FileMode before SQLite does
// (SQLite would use 0644 less the umask), and takes group and other
// permissions away from an existing database, -wal or -shm file, with a
// warning: those files may have been copied from a backup or created by an
// older version.
func (s *Store) privateFiles() error {
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, FileMode)
	if err == nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("sqlite: open %s: %w", s.path, err)
		}
		return nil
	}
	if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	for _, p := range []string{s.path, s.path + "-wal", s.path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) && p != s.path {
			continue
		} else if err != nil {
			return fmt.Errorf("sqlite: open %s: %w", p, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("sqlite: open %s: not a regular file", p)
		}
		mode := fi.Mode().Perm()
		if mode&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, mode&^0o077); err != nil {
			s.log.Warn("database file is readable by others and its mode cannot be changed", "path", p,
				"mode", fmt.Sprintf("%#o", mode), "err", err)
			continue
		}
		s.log.Warn("database file was readable by others; its mode is now owner only", "path", p,
			"was", fmt.Sprintf("%#o", mode), "now", fmt.Sprintf("%#o", mode&^0o077))
	}
	return nil
}

// Connection roles.
const (
	roleWriter     = iota // the single writer: WAL, BEGIN IMMEDIATE
	roleReader            // View: query_only
	roleBackup            // a private connection for VACUUM INTO
	roleCheckpoint        // the checkpointer's connection (checkpoint.go)
)

// dsn builds the driver data source name of a connection role.
// Every connection runs at synchronous=NORMAL: with Synchronous FULL the
// store syncs the log itself before an Update returns (logsync.go).
func (s *Store) dsn(role int) string { return dsn(s.path, s.busy, "NORMAL", role) }

// dsn builds a data source name. The path travels as a file: URI so that
// any character in it is escaped.
func dsn(path string, busy time.Duration, synchronous string, role int) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", synchronous)
	q.Set("_secure_delete", "on")
	q.Set("_stmt_cache_size", "64")
	switch role {
	case roleWriter:
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate")
	case roleReader:
		q.Set("_query_only", "on")
		q.Set("_txlock", "deferred")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// walFile returns the name of the write-ahead log of the main database as
// SQLite resolved it (symbolic links followed).
func (s *Store) walFile(ctx context.Context) (string, error) {
	var file string
	if err := s.w.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return "", fmt.Errorf("database file name: %w", err)
	}
	if file == "" {
		return "", fmt.Errorf("database file name: SQLite names none")
	}
	return file + "-wal", nil
}

// checkWAL connects the writer and verifies that the journal is in WAL mode,
// which concurrent readers rely on.
func (s *Store) checkWAL(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if mode != "wal" {
		return fmt.Errorf("sqlite: open %s: journal mode is %q, want wal", s.path, mode)
	}
	return nil
}

// Close stops the writer goroutine, waiting for the group commit in
// progress, and closes both pools. Update calls the writer has not taken,
// and every Update after Close, fail with ErrClosed. Transactions in progress must
// have finished.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	<-s.writerDone
	<-s.syncDone
	<-s.ckDone
	err := errors.Join(s.r.Close(), s.ck.Close())
	// Let SQLite refresh planner statistics it found useful; failure is
	// harmless.
	if _, oerr := s.w.Exec("PRAGMA optimize"); oerr != nil {
		s.log.Warn("optimize on close failed", "err", oerr)
	}
	err = errors.Join(err, s.w.Close())
	if err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	s.log.Info("database closed", "path", s.path)
	return nil
}

// Update runs fn in a write transaction (BEGIN IMMEDIATE) and returns once
// fn's writes are committed (durable with synchronous=FULL). Concurrent
// Update calls are group-committed: up to Options.MaxBatch of them run one
// after the other in one transaction, each inside its own savepoint, and
// share one commit (see the package documentation).
//
// When fn returns an error, its writes are rolled back and the error is
// returned unchanged; when fn panics, its writes are rolled back and the
// panic continues in the caller. Either way the other calls of the group
// are unaffected. When the group transaction itself fails, fn runs again
// in a transaction of its own: fn may run more than once (smsgw.Store).
// A ctx that ends before fn runs makes Update return ctx.Err() without
// running fn; one that ends while fn runs makes it roll back and fail
// (with ctx.Err() unless fn returned an error of its own). fn must not
// call Update or View on the same Store (Update would wait for itself).
// After Close, Update returns ErrClosed.
func (s *Store) Update(ctx context.Context, fn func(smsgw.Tx) error) error {
	return s.update(ctx, fn)
}

// View runs fn in a read-only transaction that sees one consistent snapshot.
// Writes inside fn fail.
func (s *Store) View(ctx context.Context, fn func(smsgw.Tx) error) error {
	return s.run(ctx, s.r, fn, "view")
}

func (s *Store) run(ctx context.Context, db *sql.DB, fn func(smsgw.Tx) error, op string) (err error) {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin %s: %w", op, err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// Runs on error and on panic; a panic keeps unwinding after it.
		if rerr := sqlTx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			s.log.Error("rollback failed", "op", op, "err", rerr)
		}
	}()
	t := sqlstore.NewTx(ctx, sqlTx, dialect, s.now)
	if err := fn(t); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit %s: %w", op, err)
	}
	committed = true
	return nil
}

// Backup writes a consistent, compacted copy of the database to path, which
// must not exist. It runs VACUUM INTO on a private connection: it reads one
// WAL snapshot and does not block Update.
func (s *Store) Backup(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("sqlite: backup to %q: %w", path, err)
	}
	// The copy is as secret as the database: create it owner-only, empty
	// (which VACUUM INTO accepts), before SQLite would create it 0644.
	out, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", abs, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", abs, err)
	}
	db, err := sql.Open("sqlite3", s.dsn(roleBackup))
	if err != nil {
		os.Remove(abs)
		return fmt.Errorf("sqlite: backup to %s: %w", abs, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		os.Remove(abs)
		return fmt.Errorf("sqlite: backup to %s: %w", abs, err)
	}
	// VACUUM INTO does not sync its output.
	f, err := os.Open(abs)
	if err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", abs, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sqlite: backup to %s: sync: %w", abs, err)
	}
	return nil
}

// dialect is SQLite's SQL for package sqlstore.
var dialect = &sqlstore.Dialect{
	Constraint: constraint,
	SMSCIDs:    `(SELECT json_group_array(smsc_id ORDER BY part) FROM sms_smsc_ids WHERE sms_id = l.id)`,
	FoldEq:     func(col string) string { return col + " = ? COLLATE NOCASE" },
	// Plain inserts report their rowid (insertID).
	LastInsertID: true,
	IndexedBy:    func(index string) string { return " INDEXED BY " + index },
	OpenSlots:    true, // migration 0018

	ForeignKeysOff:  "PRAGMA foreign_keys = OFF",
	ForeignKeysOn:   "PRAGMA foreign_keys = ON",
	ForeignKeyCheck: "PRAGMA foreign_key_check(%s)",
}

// constraint classifies a constraint violation by its extended code.
func constraint(err error) sqlstore.Constraint {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrConstraint {
		return sqlstore.ConstraintNone
	}
	switch se.ExtendedCode {
	case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
		return sqlstore.ConstraintUnique
	case sqlite3.ErrConstraintCheck, sqlite3.ErrConstraintNotNull:
		return sqlstore.ConstraintCheck
	case sqlite3.ErrConstraintForeignKey:
		return sqlstore.ConstraintForeignKey
	}
	return sqlstore.ConstraintNone
}
