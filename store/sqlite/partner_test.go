package sqlite

import (
	"database/sql"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/storetest"
)

// TestPartnerRequestsFinalImmutable: the triggers keep a final partner
// request as it is and every request forever, whatever SQL runs.
func TestPartnerRequestsFinalImmutable(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	open := &partner.Request{Partner: "p", RefID: "open", Kind: partner.KindTopUp, Mode: partner.ModeConfirm,
		Dest: "628110000009", Amount: 50000, State: partner.Pending, CreatedAt: t0}
	final := &partner.Request{Partner: "p", RefID: "final", Kind: partner.KindTopUp, Mode: partner.ModeConfirm,
		Dest: "628110000009", Amount: 50000, State: partner.Failed, Code: partner.ReasonExpired, CreatedAt: t0, ResolvedAt: &t0}
	storetest.MustUpdate(t, s, func(stx smsgw.Tx) error {
		tx := stx.(partner.Tx)
		if err := tx.CreatePartnerRequest(open); err != nil {
			return err
		}
		return tx.CreatePartnerRequest(final)
	})
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE partner_requests SET state = 'success' WHERE id = ?`, []any{final.ID}},
		{`UPDATE partner_requests SET amount = 1 WHERE id = ?`, []any{final.ID}},
		{`DELETE FROM partner_requests WHERE id = ?`, []any{open.ID}},
	} {
		if err := execRaw(t.Context(), s, q.sql, q.args...); err == nil {
			t.Errorf("%s succeeded", q.sql)
		}
	}
	// An open request may still change.
	if err := execRaw(t.Context(), s, `UPDATE partner_requests SET message = 'x' WHERE id = ?`, open.ID); err != nil {
		t.Errorf("update of an open request: %v", err)
	}
	storetest.MustView(t, s, func(stx smsgw.Tx) error {
		tx := stx.(partner.Tx)
		got, err := tx.PartnerRequest(final.ID)
		if err != nil {
			return err
		}
		if got.State != partner.Failed || got.Amount != 50000 {
			t.Errorf("final request = %s %d after refused updates", got.State, got.Amount)
		}
		return nil
	})
}

// Migration 0006 on a database that already holds requests differing only
// in the case of their refid (credited twice before the rule): both are
// kept, the later one is marked and left out of the case-insensitive
// unique index, lookups find the first, and a new spelling is refused.
func TestRefIDCaseMigration(t *testing.T) {
	path := tempDB(t)
	db := migratedBefore(t, path, 6)
	for _, r := range []struct{ refid, state string }{{"B-1", "failed"}, {"b-1", "failed"}, {"c-2", "pending"}} {
		resolved := any(nil)
		if r.state == "failed" {
			resolved = 1
		}
		if _, err := db.ExecContext(t.Context(), `INSERT INTO partner_requests
			(partner, refid, kind, mode, dest, amount, state, created_at, updated_at, resolved_at)
			VALUES ('p', ?, 'topup', 'confirm', '628110000009', 50000, ?, 1, 1, ?)`, r.refid, r.state, resolved); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := MustOpen(t, path, Options{})
	storetest.MustView(t, s, func(stx smsgw.Tx) error {
		tx := stx.(partner.Tx)
		for _, refid := range []string{"B-1", "b-1"} {
			got, err := tx.PartnerRequestByRef("p", refid)
			if err != nil {
				return err
			}
			if got.RefID != "B-1" {
				t.Errorf("PartnerRequestByRef(%s) = %s, want the first request B-1", refid, got.RefID)
			}
		}
		got, err := tx.PartnerRequestByRef("p", "C-2")
		if err != nil || got.RefID != "c-2" {
			t.Errorf("PartnerRequestByRef(C-2) = %v, %v; want c-2", got, err)
		}
		return nil
	})
	var marked int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM partner_requests WHERE refid_dup = 1`).Scan(&marked); err != nil {
		t.Fatal(err)
	}
	if marked != 1 {
		t.Errorf("%d requests marked as case duplicates, want 1 (b-1)", marked)
	}
	// Final requests are immutable again.
	if err := execRaw(t.Context(), s, `UPDATE partner_requests SET message = 'x' WHERE refid = 'B-1'`); err == nil {
		t.Error("update of a final request succeeded after the migration")
	}
	again := &partner.Request{Partner: "p", RefID: "C-2", Kind: partner.KindTopUp, Mode: partner.ModeConfirm,
		Dest: "628110000009", Amount: 50000, State: partner.Pending}
	err := s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.(partner.Tx).CreatePartnerRequest(again) })
	if smsgw.ErrorCode(err) != smsgw.EConflict {
		t.Errorf("CreatePartnerRequest(C-2 after c-2) = %v, want EConflict", err)
	}
	// The lookup is an index search, not a scan of the partner's requests.
	plan := queryPlan(t, s.r, `SELECT id FROM partner_requests
		WHERE partner = ? AND refid = ? COLLATE NOCASE AND refid_dup = 0`, "p", "b-1")
	if !strings.Contains(plan, "partner_requests_refid_nocase") {
		t.Errorf("query plan does not use partner_requests_refid_nocase:\n%s", plan)
	}
}

// migratedBefore creates the database at path with the migrations before
// version v only, as an older release left it, and returns it open.
func migratedBefore(t *testing.T, path string, v int) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn(path, time.Second, "FULL", roleWriter))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	older := fstest.MapFS{}
	ms, err := loadMigrations(must(embeddedMigrations()))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Version < v {
			older[m.Name] = &fstest.MapFile{Data: []byte(m.SQL)}
		}
	}
	if err := migrate(t.Context(), db, older, discard, time.Now); err != nil {
		t.Fatalf("migrate(before %04d) = %v", v, err)
	}
	return db
}

// Migration 0014 rebuilds partner_requests (to allow VA reversals) under
// partner_callbacks, which refers to it: every request and callback is
// kept, references resolve, the table's rules still hold, and a reversal
// must name the payment it reverses.
func TestVAReversalMigration(t *testing.T) {
	path := tempDB(t)
	db := migratedBefore(t, path, 14)
	for _, q := range []string{
		`INSERT INTO partner_requests (id, partner, refid, kind, mode, dest, amount, state, created_at, updated_at, resolved_at, message)
			VALUES (7, 'bank', 'ATM-1', 'va', 'immediate', '628110000009', 50000, 'failed', 1, 1, 2, 'kept')`,
		`INSERT INTO partner_requests (id, partner, refid, kind, mode, dest, amount, state, created_at, updated_at)
			VALUES (8, 'p', 'T-1', 'topup', 'confirm', '628110000009', 50000, 'pending', 1, 1)`,
		`INSERT INTO partner_callbacks (request_id, partner, status, next_attempt, deadline, created_at, updated_at)
			VALUES (7, 'bank', 'queued', 1, 2, 1, 1)`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := MustOpen(t, path, Options{})
	storetest.MustView(t, s, func(stx smsgw.Tx) error {
		tx := stx.(partner.Tx)
		r, err := tx.PartnerRequestByRef("bank", "atm-1")
		if err != nil {
			return err
		}
		if r.ID != 7 || r.Message != "kept" || r.State != partner.Failed || r.ReversesID != 0 {
			t.Errorf("request 7 after the migration = %+v", r)
		}
		cs, err := tx.Callbacks(partner.CallbackFilter{RequestID: 7})
		if err != nil {
			return err
		}
		if len(cs) != 1 {
			t.Errorf("callbacks of request 7 = %d, want 1", len(cs))
		}
		return nil
	})
	var violations int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&violations); err != nil {
		t.Fatal(err)
	}
	if violations != 0 {
		t.Errorf("%d foreign key violations after the migration", violations)
	}
	for _, q := range []string{
		`UPDATE partner_requests SET message = 'x' WHERE id = 7`,
		`DELETE FROM partner_requests WHERE id = 8`,
		`INSERT INTO partner_requests (partner, refid, kind, mode, dest, amount, state, created_at, updated_at)
			VALUES ('p', 't-1', 'topup', 'confirm', '628110000009', 50000, 'pending', 1, 1)`,
		`INSERT INTO partner_requests (partner, refid, kind, mode, dest, amount, state, created_at, updated_at)
			VALUES ('bank', 'REV-1', 'va_reversal', 'immediate', '628110000009', 50000, 'pending', 1, 1)`,
		`INSERT INTO partner_requests (partner, refid, kind, mode, dest, amount, state, created_at, updated_at, reverses_id)
			VALUES ('bank', 'REV-1', 'va_reversal', 'immediate', '628110000009', 50000, 'pending', 1, 1, 99)`,
		`INSERT INTO partner_callbacks (request_id, partner, status, next_attempt, deadline, created_at, updated_at)
			VALUES (99, 'bank', 'queued', 1, 2, 1, 1)`,
	} {
		if err := execRaw(t.Context(), s, q); err == nil {
			t.Errorf("%s: succeeded after the migration", q)
		}
	}
	if err := execRaw(t.Context(), s, `INSERT INTO partner_requests
		(partner, refid, kind, mode, dest, amount, state, created_at, updated_at, reverses_id)
		VALUES ('bank', 'REV-1', 'va_reversal', 'immediate', '628110000009', 50000, 'pending', 1, 1, 7)`); err != nil {
		t.Errorf("insert of a reversal of request 7: %v", err)
	}
}
