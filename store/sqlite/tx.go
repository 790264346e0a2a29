package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// tx implements smsgw.Tx on one transaction: a sql.Tx for View, the writer
// connection inside BEGIN IMMEDIATE for Update. It is not safe for
// concurrent use, like the transaction it wraps.
type tx struct {
	ctx context.Context // the Update or View call's context
	db  querier         // the sql.Tx of a View; nil in an Update (w)
	w   *writerConn     // the writer connection of an Update
	now func() time.Time
}

// querier is what a tx needs of a sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var _ smsgw.Tx = (*tx)(nil)

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	if t.w != nil {
		if st := t.w.stmt(query); st != nil {
			return st.ExecContext(t.ctx, args...)
		}
		return t.w.conn.ExecContext(t.ctx, query, args...)
	}
	return t.db.ExecContext(t.ctx, query, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	if t.w != nil {
		// Not compiled once: the rows of a compiled statement would be
		// reset under a caller that runs the same query while reading them.
		return t.w.conn.QueryContext(t.ctx, query, args...)
	}
	return t.db.QueryContext(t.ctx, query, args...)
}

// queryRow runs a query whose one row the caller scans at once.
func (t *tx) queryRow(query string, args ...any) *sql.Row {
	if t.w != nil {
		if st := t.w.stmt(query); st != nil {
			return st.QueryRowContext(t.ctx, args...)
		}
		return t.w.conn.QueryRowContext(t.ctx, query, args...)
	}
	return t.db.QueryRowContext(t.ctx, query, args...)
}

// atomic runs fn inside a savepoint: when fn fails, everything fn wrote is
// undone and the enclosing transaction stays usable. Methods that write more
// than one row use it, so a domain error (EFunds, EDuplicate...) leaves
// nothing behind even when the caller goes on and commits.
func (t *tx) atomic(name string, fn func() error) error {
	if _, err := t.exec("SAVEPOINT " + name); err != nil {
		return fmt.Errorf("sqlite: savepoint %s: %w", name, err)
	}
	if err := fn(); err != nil {
		if _, rerr := t.exec("ROLLBACK TO " + name); rerr != nil {
			return errors.Join(err, fmt.Errorf("sqlite: rollback to %s: %w", name, rerr))
		}
		if _, rerr := t.exec("RELEASE " + name); rerr != nil {
			return errors.Join(err, fmt.Errorf("sqlite: release %s: %w", name, rerr))
		}
		return err
	}
	if _, err := t.exec("RELEASE " + name); err != nil {
		return fmt.Errorf("sqlite: release %s: %w", name, err)
	}
	return nil
}

// orNow returns tm, or the store's clock when tm is zero.
func (t *tx) orNow(tm time.Time) time.Time {
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

func limitOf(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return n
}

func notFound(format string, args ...any) error {
	return smsgw.Errorf(smsgw.ENotFound, format, args...)
}
