package report

import "github.com/smsgw/smsgw/smsgw"

// Source is what the reports read: the store's read-only queries
// (smsgw.ReportStore) and the single rows they join (a session, a message,
// a transfer). A store's smsgw.Tx is a Source; so is any read-only view of
// a store that serves these methods. When the Source also implements
// partner.RequestStore and partner.CallbackStore (as every
// partner.Records does), the reports include the partner requests and
// callbacks. The console and `smsgw audit` read their listings and
// timelines through it.
type Source interface {
	smsgw.ReportStore
	// Session returns a session by ID (ENotFound).
	Session(id int64) (*smsgw.Session, error)
	// Message returns one SMS log row (ENotFound).
	Message(id int64) (*smsgw.Message, error)
	// TransferByID returns a transfer (ENotFound).
	TransferByID(id int64) (*smsgw.Transfer, error)
}

var _ Source = smsgw.Tx(nil)
