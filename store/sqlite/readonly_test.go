package sqlite

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/smsgw/smsgw/smsgw"
)

// TestOpenReadOnly reads a database a Store has open and writes to, and
// cannot write to it.
func TestOpenReadOnly(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gw.db")
	if _, err := OpenReadOnly(ctx, path); err == nil {
		t.Fatal("OpenReadOnly of a missing file succeeded")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("OpenReadOnly created the missing file")
	}
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(ctx, func(tx smsgw.Tx) error {
		return tx.AppendAudit(&smsgw.AuditEntry{Actor: "cli:test", Action: "test"})
	}); err != nil {
		t.Fatal(err)
	}
	db, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM audit_log").Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows = %d, %v; want 1", n, err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO audit_log (at, actor, action) VALUES (1, 'x', 'y')"); err == nil {
		t.Error("a write through OpenReadOnly succeeded")
	}
	vs, err := SchemaVersions()
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil || !slices.IsSorted(vs) || vs[len(vs)-1] != v {
		t.Errorf("SchemaVersions = %v, database at %d (%v)", vs, v, err)
	}
}
