package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/sqlstore"
)

// recorder is a sqlstore.Querier that keeps the last query run through it
// (and the statements, in execs).
type recorder struct {
	db    *sql.DB
	query string
	args  []any
	execs []string
}

func (r *recorder) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r.query, r.args = q, args
	r.execs = append(r.execs, q)
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
// a chunk at a time: without the index named, SQLite (no statistics on a
// new database) read every open session through sessions_state and sorted
// them all for each chunk. The notices owed are read through their own
// partial index.
func TestExpirySessionsPlan(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	r := &recorder{db: s.r}
	tx := sqlstore.NewTx(t.Context(), r, dialect, time.Now)
	if _, err := tx.ExpireSessions(time.Now(), 100); err != nil && !strings.Contains(err.Error(), "readonly") {
		t.Fatal(err)
	}
	if plan := r.plan(t); !strings.Contains(plan, "sessions_expiry") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("ExpireSessions plan:\n%swant a search of sessions_expiry and no sort", plan)
	}
	if _, err := tx.ExpiryNoticesDue(0, 100); err != nil {
		t.Fatal(err)
	}
	if plan := r.plan(t); !strings.Contains(plan, "sessions_notice") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("ExpiryNoticesDue plan:\n%swant a search of sessions_notice and no sort", plan)
	}
}

// The partner requests an expiry ended are found from the few open ones,
// each looking its session up, never by reading the expired sessions.
func TestRequestsOfExpiredSessionsPlan(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	r := &recorder{db: s.r}
	tx := sqlstore.NewTx(t.Context(), r, dialect, time.Now)
	if _, err := tx.RequestsOfExpiredSessions(0, 100); err != nil {
		t.Fatal(err)
	}
	plan := r.plan(t)
	if !strings.Contains(plan, "partner_requests_open") || strings.Contains(plan, "SCAN s") || strings.Contains(plan, "sessions_notice") {
		t.Errorf("RequestsOfExpiredSessions plan:\n%swant open requests through partner_requests_open, their sessions by key", plan)
	}
}

// A session's MSISDN is found, freed and held through sessions_slot: the
// expiry changes no index keyed by MSISDN.
func TestOpenSessionPlan(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	r := &recorder{db: s.r}
	tx := sqlstore.NewTx(t.Context(), r, dialect, time.Now)
	if _, err := tx.OpenSession("628110000001"); err == nil {
		t.Fatal("OpenSession on an empty store found a session")
	}
	if plan := r.plan(t); !strings.Contains(plan, "sessions_slot") {
		t.Errorf("OpenSession plan:\n%swant a search of sessions_slot", plan)
	}
	// CreateSession frees the MSISDN's slot first (and fails on this
	// read-only connection).
	_ = tx.CreateSession(&smsgw.Session{MSISDN: "628110000001", Account: "w", Amount: 50_000, ExpiresAt: time.Now().Add(time.Minute)})
	if len(r.execs) == 0 || !strings.HasPrefix(r.execs[0], "UPDATE sessions SET open_msisdn = NULL") {
		t.Fatalf("CreateSession ran %q first, want the update that frees the slot", r.execs)
	}
	if plan := queryPlan(t, s.r, r.execs[0], "628110000001"); !strings.Contains(plan, "sessions_slot") {
		t.Errorf("freeing an MSISDN's slot:\n%swant a search of sessions_slot", plan)
	}
}

// The operator's view of sessions reads one customer's sessions through
// sessions_msisdn, the open ones through their partial index by expiry and
// those of a final state through sessions_state (which holds no open
// session, so that the expiry adds an entry to it and removes none).
func TestSessionsPlan(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	r := &recorder{db: s.r}
	tx := sqlstore.NewTx(t.Context(), r, dialect, time.Now)
	for _, tc := range []struct {
		f    smsgw.SessionFilter
		want string
	}{
		{smsgw.SessionFilter{MSISDN: "628110000001"}, "sessions_msisdn"},
		{smsgw.SessionFilter{MSISDN: "628110000001", State: smsgw.StateAwaitingPIN}, "sessions_msisdn"},
		{smsgw.SessionFilter{MSISDN: "628110000001", State: smsgw.StateExpired}, "sessions_msisdn"},
		{smsgw.SessionFilter{State: smsgw.StateAwaitingPIN}, "sessions_expiry"},
		{smsgw.SessionFilter{State: smsgw.StateExpired}, "sessions_state"},
		{smsgw.SessionFilter{State: smsgw.StateConfirmed, Since: time.Now()}, "sessions_state"},
	} {
		if _, err := tx.Sessions(tc.f); err != nil {
			t.Fatal(err)
		}
		if plan := r.plan(t); !strings.Contains(plan, "INDEX "+tc.want) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("Sessions(%+v) plan:\n%swant a read through %s and no sort", tc.f, plan, tc.want)
		}
	}
}
