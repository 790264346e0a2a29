package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/mattn/go-sqlite3"
)

// maxCachedStmts bounds the statement cache: the engine's statements are a
// few dozen fixed strings; queries built from filters (listings, IN lists)
// may differ every time and must not grow it without end.
const maxCachedStmts = 256

// writerConn is the writer goroutine's connection, held from the first
// Update to Close, with the statements compiled on it.
//
// Write transactions run on it with BEGIN IMMEDIATE and COMMIT statements
// rather than a sql.Tx, and their statements with a context that is never
// cancelled: database/sql and the driver then run a statement on the
// calling goroutine only, where a sql.Tx (whose context is always
// cancellable) starts a watcher goroutine for every query and the driver
// one for every statement with a cancellable context, which cost more CPU
// than the statements themselves on a small machine. Statements are
// compiled once per connection instead of on every call.
//
// Only the writer goroutine uses it, which also runs each Update's function
// (Store.exec). After runtime.Goexit in a function, the old writer
// goroutine rolls back, starts the one that takes over (Store.goexit) and
// touches nothing shared while it finishes unwinding. BEGIN IMMEDIATE,
// COMMIT and the savepoints of a group are compiled once like the rest.
type writerConn struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

// stmt returns query compiled on the connection, compiling it the first
// time. A query that cannot be compiled alone, or beyond maxCachedStmts,
// returns nil and runs uncompiled.
func (w *writerConn) stmt(query string) *sql.Stmt {
	if st, ok := w.stmts[query]; ok {
		return st
	}
	if len(w.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := w.conn.PrepareContext(context.Background(), query)
	if err != nil {
		st = nil // the error shows when the statement runs
	}
	w.stmts[query] = st
	return st
}

// ExecContext runs query on the connection, compiled once.
func (w *writerConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := w.stmt(query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return w.conn.ExecContext(ctx, query, args...)
}

// QueryContext runs a query whose rows are read in a loop. It is not
// compiled once: the rows of a compiled statement would be reset under a
// caller that runs the same query while reading them.
func (w *writerConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return w.conn.QueryContext(ctx, query, args...)
}

// QueryCachedContext runs a query compiled once, for a caller that reads
// its rows to the end before running another statement
// (sqlstore.StmtCacher).
func (w *writerConn) QueryCachedContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := w.stmt(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return w.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query whose one row the caller scans at once,
// compiled once.
func (w *writerConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := w.stmt(query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return w.conn.QueryRowContext(ctx, query, args...)
}

// close closes the statements and gives the connection back to the pool.
func (w *writerConn) close() error {
	var err error
	for _, st := range w.stmts {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	clear(w.stmts)
	return errors.Join(err, w.conn.Close())
}

// inTx reports whether the connection is inside a transaction (or cannot
// tell, which counts as inside).
func (w *writerConn) inTx() bool {
	in := true
	err := w.conn.Raw(func(dc any) error {
		if c, ok := dc.(*sqlite3.SQLiteConn); ok {
			in = !c.AutoCommit()
		}
		return nil
	})
	return in || err != nil
}
