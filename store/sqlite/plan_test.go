package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/store/sqlstore"
)

// recorder is a sqlstore.Querier that keeps the last query run through it.
type recorder struct {
	db    *sql.DB
	query string
	args  []any
}

func (r *recorder) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r.query, r.args = q, args
	return r.db.ExecContext(ctx, q, args...)
}

func (r *recorder) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r.query, r.args = q, args
	return r.db.QueryContext(ctx, q, args...)
}

func (r *recorder) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	r.query, r.args = q, args
	return r.db.QueryRowContext(ctx, q, args...)
}

// plan returns SQLite's query plan of the last query run through r.
func (r *recorder) plan(t *testing.T) string {
	t.Helper()
	return queryPlan(t, r.db, r.query, r.args...)
}

// queryPlan returns SQLite's query plan of query on db, one step a line.
func queryPlan(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The expiry job reads open sessions through their partial index by expiry,
// a few at a time: without the index named, SQLite (no statistics on a new
// database) read every open session through sessions_state and sorted them
// all for each batch.
func TestExpiredSessionsPlan(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	r := &recorder{db: s.r}
	tx := sqlstore.NewTx(t.Context(), r, dialect, time.Now)
	if _, err := tx.ExpiredSessions(time.Now(), 100); err != nil {
		t.Fatal(err)
	}
	plan := r.plan(t)
	if !strings.Contains(plan, "sessions_expiry") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("ExpiredSessions plan:\n%swant a search of sessions_expiry and no sort", plan)
	}
}
