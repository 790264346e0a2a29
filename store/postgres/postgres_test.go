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

// TestStore runs the store contract area by area, as the SQLite store's
// tests do.
func TestStore(t *testing.T) {
	storetest.TestCustomers(t, open)
	storetest.TestLedger(t, open)
	storetest.TestSessions(t, open)
	storetest.TestMessages(t, open)
	storetest.TestParts(t, open)
	storetest.TestAudit(t, open)
	storetest.TestReports(t, open)
	storetest.TestTx(t, open)
	storetest.TestPartnerRequests(t, open)
	storetest.TestPartnerInquiries(t, open)
	storetest.TestPartnerNonces(t, open)
	storetest.TestPartnerDestinations(t, open)
	storetest.TestPartnerCallbacks(t, open)
	storetest.TestPartnerSummary(t, open)
}
