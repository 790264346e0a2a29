// Package report builds the operator's views that span the gateway's
// domains.
//
// The listings (Views: the SMS log, PIN sessions, customers, an account's
// ledger, the audit trail, host-to-host partner requests and their
// callbacks) each have a typed query (SMSQuery, SessionQuery, ...), which
// ParseQuery builds from filter values by name (Values; a *FilterError
// names the field of a bad one), and records that Export writes as an
// aligned table, CSV or JSON. The console's pages and exports and `smsgw
// audit` read them alike.
//
// Transaction gathers everything recorded about one top-up (the
// PIN session, its messages and delivery receipts, the ledger transfer and
// entries, and the host-to-host request with its callbacks when a partner
// made it) and orders it as a timeline; the console and `smsgw audit`
// show it.
//
// It only reads, through the Source it is given (a store's transaction),
// and keeps no state. The partner part is read when the Source also holds
// the partner requests and callbacks (partner.RequestStore,
// partner.CallbackStore); on a store without them it is
// left empty.
package report
