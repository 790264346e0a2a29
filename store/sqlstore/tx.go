package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// Tx implements smsgw.Tx and partner.Tx on one transaction of a SQL
// engine, described by its Dialect. It is not safe for concurrent use, like
// the transaction it wraps.
type Tx struct {
	ctx context.Context // the Update or View call's context
	q   Querier
	d   *Dialect
	now func() time.Time
	// customer is the last customer row read (Customer), forgotten by any
	// statement that names the customers table other than a SELECT
	// (forgetCustomer). A Tx lives for one Update or View call, so it never
	// outlives the transaction.
	customer *smsgw.Customer
}

// forgetCustomer drops the customer row Customer keeps when query may
// change what the customers table holds: a statement that names it (in any
// letter case) and is not a SELECT, or any ROLLBACK (to a savepoint), which
// may undo a write made since the row was read.
func (t *Tx) forgetCustomer(query string) {
	if t.customer == nil {
		return
	}
	q := strings.TrimLeft(query, " \t\n")
	switch {
	case hasPrefixFold(q, "ROLLBACK"):
	case hasPrefixFold(q, "SELECT") || !containsFold(q, "customers"):
		return
	}
	t.customer = nil
}

// hasPrefixFold reports whether s starts with prefix in any letter case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// containsFold reports whether s contains sub, a lower-case ASCII word, in
// any letter case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 == sub[0] && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// Querier runs statements inside one transaction; *sql.Tx is one.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// StmtCacher is a Querier that can also run a multi-row query compiled once
// (a store's writer connection): for queries whose rows the caller reads to
// the end before it runs any other statement (queryAll).
type StmtCacher interface {
	QueryCachedContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

var (
	_ smsgw.Tx   = (*Tx)(nil)
	_ partner.Tx = (*Tx)(nil)
)

// NewTx returns the Tx whose statements run on q with ctx, in the SQL of d.
// now is the store's clock, for times the caller leaves zero.
func NewTx(ctx context.Context, q Querier, d *Dialect, now func() time.Time) *Tx {
	return &Tx{ctx: ctx, q: q, d: d, now: now}
}

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	t.forgetCustomer(query)
	q := t.d.rebind(query)
	if !t.guarded(q) {
		res, err := t.q.ExecContext(t.ctx, q, args...)
		return res, t.d.conflict(err)
	}
	var res sql.Result
	err := t.guard(func() (err error) {
		res, err = t.q.ExecContext(t.ctx, q, args...)
		return err
	})
	return res, t.d.conflict(err)
}

// Exec runs one statement in the transaction, past the methods of Tx: for
// an engine's own maintenance and for tests that tamper with the data.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) { return t.exec(query, args...) }

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	t.forgetCustomer(query)
	rows, err := t.q.QueryContext(t.ctx, t.d.rebind(query), args...)
	return rows, t.d.conflict(err)
}

// returningID ends every statement insertID runs.
const returningID = " RETURNING id"

// insertID runs an INSERT of one row that ends with RETURNING id and sets
// *id to the new row's id (left alone on error). On an engine with
// Dialect.LastInsertID the statement runs without the RETURNING clause and
// the id comes from the driver's last insert id.
func (t *Tx) insertID(id *int64, query string, args ...any) error {
	if !strings.HasSuffix(query, returningID) {
		return fmt.Errorf("store: insertID needs a statement ending with %q", returningID)
	}
	if !t.d.LastInsertID {
		return t.queryRow(query, args...).Scan(id)
	}
	res, err := t.exec(strings.TrimSuffix(query, returningID), args...)
	if err != nil {
		return err
	}
	n, err := res.LastInsertId()
	if err != nil {
		return err
	}
	*id = n
	return nil
}

// queryAll runs a query whose rows the caller reads to the end (collect)
// before running anything else; on a Querier that caches statements it is
// compiled once.
func (t *Tx) queryAll(query string, args ...any) (*sql.Rows, error) {
	c, ok := t.q.(StmtCacher)
	if !ok {
		return t.query(query, args...)
	}
	t.forgetCustomer(query)
	rows, err := c.QueryCachedContext(t.ctx, t.d.rebind(query), args...)
	return rows, t.d.conflict(err)
}

// queryRow runs a query whose one row the caller scans at once (the
// statement runs, or its error shows, when Scan is called).
func (t *Tx) queryRow(query string, args ...any) row {
	t.forgetCustomer(query)
	return row{t: t, query: t.d.rebind(query), args: args}
}

// row is the result of queryRow.
type row struct {
	t     *Tx
	query string
	args  []any
}

func (r row) Scan(dest ...any) error {
	if !r.t.guarded(r.query) {
		return r.t.d.conflict(r.t.q.QueryRowContext(r.t.ctx, r.query, r.args...).Scan(dest...))
	}
	return r.t.d.conflict(r.t.guard(func() error { return r.t.q.QueryRowContext(r.t.ctx, r.query, r.args...).Scan(dest...) }))
}

// guarded reports whether query is a write that runs in a savepoint of its
// own (Dialect.StatementRollback).
func (t *Tx) guarded(query string) bool {
	if !t.d.StatementRollback {
		return false
	}
	q := strings.TrimLeft(query, " \t\n")
	return hasPrefixFold(q, "INSERT") || hasPrefixFold(q, "UPDATE") || hasPrefixFold(q, "DELETE")
}

// guard runs fn, one write, inside a savepoint: when it fails, only its
// own effects are undone and the transaction goes on, as SQLite does with a
// failed statement.
func (t *Tx) guard(fn func() error) error {
	if _, err := t.q.ExecContext(t.ctx, "SAVEPOINT stmt"); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rerr := t.q.ExecContext(t.ctx, "ROLLBACK TO SAVEPOINT stmt"); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback to savepoint: %w", rerr))
		}
		return err
	}
	if _, err := t.q.ExecContext(t.ctx, "RELEASE SAVEPOINT stmt"); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return nil
}

// atomic runs fn inside a savepoint: when fn fails, everything fn wrote is
// undone and the enclosing transaction stays usable. Methods that write more
// than one row use it, so a domain error (EFunds, EDuplicate...) leaves
// nothing behind even when the caller goes on and commits.
func (t *Tx) atomic(name string, fn func() error) error {
	if _, err := t.exec("SAVEPOINT " + name); err != nil {
		return fmt.Errorf("store: savepoint %s: %w", name, err)
	}
	if err := fn(); err != nil {
		if _, rerr := t.exec("ROLLBACK TO " + name); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback to %s: %w", name, rerr))
		}
		if _, rerr := t.exec("RELEASE " + name); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: release %s: %w", name, rerr))
		}
		return err
	}
	if _, err := t.exec("RELEASE " + name); err != nil {
		return fmt.Errorf("store: release %s: %w", name, err)
	}
	return nil
}

// orNow returns tm, or the store's clock when tm is zero.
func (t *Tx) orNow(tm time.Time) time.Time {
	if tm.IsZero() {
		return t.now()
	}
	return tm
}

// Timestamps are stored as INTEGER Unix nanoseconds, which sort and compare
// as numbers and keep full precision. Times outside the representable range
// (years 1678 to 2262) are clamped to it, which keeps comparisons with
// realistic times correct (a lock "until 9999" is still in the future).

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func encTime(tm time.Time) int64 {
	switch {
	case tm.Before(minTime):
		return math.MinInt64
	case tm.After(maxTime):
		return math.MaxInt64
	}
	return tm.UnixNano()
}

func decTime(n int64) time.Time { return time.Unix(0, n).UTC() }

// encTimePtr maps nil to NULL.
func encTimePtr(tm *time.Time) any {
	if tm == nil {
		return nil
	}
	return encTime(*tm)
}

// encTimeZero maps the zero time to NULL.
func encTimeZero(tm time.Time) any {
	if tm.IsZero() {
		return nil
	}
	return encTime(tm)
}

func decTimePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	tm := decTime(n.Int64)
	return &tm
}

func decTimeZero(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return decTime(n.Int64)
}

// nullID maps the domain's "0 means none" ids to NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullBlob maps an empty blob to NULL.
func nullBlob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// DefaultLimit is the number of rows a list method returns when it is given
// a limit <= 0.
const DefaultLimit = 100

func limitOf(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return n
}

func notFound(format string, args ...any) error {
	return smsgw.Errorf(smsgw.ENotFound, format, args...)
}
