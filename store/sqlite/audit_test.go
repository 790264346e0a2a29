package sqlite

import (
	"errors"
	"strings"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/storetest"
)

// TestAuditAppendOnly writes to the audit trail with plain SQL, bypassing
// the store: the triggers refuse updates and deletes.
func TestAuditAppendOnly(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error {
		return tx.AppendAudit(&smsgw.AuditEntry{Actor: "ana", Role: "admin", Action: smsgw.ActionCustomerUnlock, Target: "628110000001"})
	})
	for _, q := range []string{
		"UPDATE audit_log SET actor = 'mallory'",
		"UPDATE audit_log SET detail = ''",
		"DELETE FROM audit_log",
	} {
		err := execRaw(t.Context(), s, q)
		var se sqlite3.Error
		if !errors.As(err, &se) || se.ExtendedCode != sqlite3.ErrConstraintTrigger {
			t.Errorf("Exec(%q) = %v, want a trigger constraint error", q, err)
		}
	}
	var actor string
	var n int
	if err := s.r.QueryRowContext(t.Context(), "SELECT actor, count(*) FROM audit_log").Scan(&actor, &n); err != nil {
		t.Fatal(err)
	}
	if actor != "ana" || n != 1 {
		t.Errorf("audit trail after refused writes: actor %q, %d rows; want ana, 1", actor, n)
	}
}

// TestOperatorViewIndexes checks that the operator views use their indexes
// rather than scanning the SMS log.
func TestOperatorViewIndexes(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	for _, tc := range []struct{ query, index string }{
		{"SELECT id FROM sms_log WHERE short_code = '3355' ORDER BY id DESC", "sms_log_short_code"},
		{"SELECT id FROM sms_log WHERE keyword = 'PIN_REPLY' ORDER BY id DESC", "sms_log_keyword"},
		{"SELECT id FROM sessions WHERE state = 'expired' AND state <> 'awaiting_pin' ORDER BY id DESC", "sessions_state"},
		{"SELECT id FROM audit_log WHERE actor = 'ana' ORDER BY id DESC", "audit_log_actor"},
		{"SELECT count(*) FROM transfers WHERE created_at >= 0 AND created_at < 10", "transfers_created"},
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query)
		if err != nil {
			t.Fatalf("explain %q: %v", tc.query, err)
		}
		var plan string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan += detail + "; "
		}
		rows.Close()
		if !strings.Contains(plan, tc.index) {
			t.Errorf("plan of %q = %s, want it to use %s", tc.query, plan, tc.index)
		}
	}
}
