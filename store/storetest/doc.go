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
// Run covers each Tx method's documented behaviour and error codes, one
// suite per area of smsgw.Tx, each in its own file and each with an
// exported entry point, so a new store can be brought up one area at a
// time (calling, say, only TestCustomers and TestLedger at first):
//
//	TestCustomers  smsgw.CustomerStore: customers, PIN state, unlocks
//	TestLedger     smsgw.LedgerStore: accounts, transfers with their ledger
//	               entries, idempotency and funds checks
//	TestSessions   smsgw.SessionStore: PIN sessions
//	TestMessages   smsgw.MessageStore: the SMS log, MO de-duplication and
//	               redelivery, the inbox and outbox and its depth, receipts
//	TestParts      smsgw.PartStore: parts of concatenated MOs, their expiry
//	TestAudit      smsgw.AuditStore: the append-only audit trail
//	TestReports    smsgw.ReportStore: filters, summaries, the console's and
//	               the audit CLI's queries, the report timeline
//	TestTx         the transaction semantics of Update and View (rollback on
//	               error and panic, no writes in View, cancelled contexts),
//	               a whole PIN top-up in one transaction, and concurrent
//	               Update calls (no lost update, every snapshot balanced)
//	TestPartners   the partner records (partner.Records), reached with
//	               partner.TxOf from the store's smsgw.Tx: every suite of
//	               its areas, TestPartnerRequests, TestPartnerInquiries,
//	               TestPartnerNonces, TestPartnerDestinations,
//	               TestPartnerCallbacks and TestPartnerSummary (the
//	               dashboard summary and the report timeline built on them)
//	TestLimits     smsgw.LimitStore: rate buckets, the distinct accounts of a
//	               sender, their purge
//	TestLogins     the operator console's logins (LoginStore here, the
//	               methods of console.LoginStore)
//	TestCorrections smsgw.CorrectionStore and reversing transfers
//
// A suite may seed its rows through other areas (accounts, customers,
// sessions, messages), so bring up TestCustomers and TestLedger first.
//
// It uses only the smsgw API, so it cannot check storage details such as
// the append-only triggers or that FinishMO erases the secret on disk: each
// implementation tests those itself. Times in the tests are whole seconds,
// so stores with microsecond precision pass. The package imports only
// smsgw, partner, report and the standard library; it has no state and
// starts no goroutine that outlives a test.
package storetest
