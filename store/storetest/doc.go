// Package storetest is the contract of smsgw.Store and smsgw.Tx written as
// tests that every store implementation runs:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) smsgw.Store {
//			s := open a new, empty store
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Run covers each Tx method's documented behaviour and error codes
// (customers, unlocks, accounts, transfers with their ledger entries,
// idempotency and funds checks, PIN sessions, MO de-duplication, the inbox
// and outbox and its depth, delivery receipts, filters, summaries, the
// stored parts of concatenated MOs and their expiry), the transaction
// semantics of Update and View (rollback on error and panic, no writes in
// View, cancelled contexts), a whole PIN top-up in one transaction, and
// concurrent Update calls (no lost update, every snapshot balanced). It
// also covers the partner records (partner.Records: requests, inquiries,
// nonces, destinations, callbacks, the dashboard summary), reached with
// partner.TxOf from the store's smsgw.Tx, and the report timeline built
// on them, so a store that serves the partner API passes one suite.
//
// It uses only the smsgw API, so it cannot check storage details such as
// the append-only triggers or that FinishMO erases the secret on disk: each
// implementation tests those itself. Times in the tests are whole seconds,
// so stores with microsecond precision pass. The package imports only
// smsgw, partner, report and the standard library; it has no state and
// starts no goroutine that outlives a test.
package storetest
