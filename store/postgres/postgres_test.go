package postgres

import (
	"os"
	"testing"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/postgres/pgtest"
	"github.com/smsgw/smsgw/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open opens a store on a new database of the test cluster.
func open(t *testing.T) smsgw.Store {
	t.Helper()
	s, err := Open(t.Context(), pgtest.DSN(t), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// TestStore runs the whole store contract, as the SQLite store passes it.
func TestStore(t *testing.T) { storetest.Run(t, open) }
