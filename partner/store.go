package partner

import (
	"context"
	"fmt"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// Tx is a store transaction that holds the partner records besides the
// SMS core's: a store that serves the partner API implements Records on
// the transaction type it passes as smsgw.Tx (store/sqlite does). The core
// knows only smsgw.Tx, so the partner code gets its Tx from the smsgw.Tx it
// is given with TxOf, which fails with a clear error if the store has no
// partner records; Service.Init checks it once, before serving.
type Tx interface {
	smsgw.Tx
	Records
}

// update runs fn in a write transaction of the gateway's store.
func (p *Service) update(ctx context.Context, fn func(Tx) error) error {
	return p.g.Store().Update(ctx, func(tx smsgw.Tx) error {
		ptx, err := TxOf(tx)
		if err != nil {
			return err
		}
		return fn(ptx)
	})
}

// view runs fn in a read transaction of the gateway's store.
func (p *Service) view(ctx context.Context, fn func(Tx) error) error {
	return p.g.Store().View(ctx, func(tx smsgw.Tx) error {
		ptx, err := TxOf(tx)
		if err != nil {
			return err
		}
		return fn(ptx)
	})
}

// TxOf returns tx as a Tx, or an error naming the store's transaction
// type when it does not hold the partner records.
func TxOf(tx smsgw.Tx) (Tx, error) {
	ptx, ok := tx.(Tx)
	if !ok {
		return nil, fmt.Errorf("partner: store transaction %T does not implement partner.Records", tx)
	}
	return ptx, nil
}

// Records holds the store methods of the partner API: partner requests by
// refid, inquiries, request nonces, destination failure counters, the
// callback outbox and the dashboard's summary. A store implements them on
// the same transaction type as smsgw.Tx (see Tx), so a partner request,
// its ledger transfer and its callback are written in one transaction.
// Error codes are those of smsgw.Tx. store/storetest holds their contract
// tests, one suite per area.
//
// Records is the composition of the areas below; a store being brought
// up implements them one by one (each with its storetest suite), and
// readers that need only one area (the reports) ask for just that.
type Records interface {
	NonceStore
	RequestStore
	InquiryStore
	DestinationStore
	CallbackStore
	SummaryStore
}

// NonceStore records the nonces of signed partner requests, against
// replays.
type NonceStore interface {
	// UseNonce records a request nonce of partner at the given time.
	// EDuplicate if the pair was recorded before (a replayed request).
	UseNonce(partner, nonce string, at time.Time) error
	// PurgeNonces forgets nonces recorded before t; returns the count.
	PurgeNonces(before time.Time) (int64, error)
}

// RequestStore holds the partner requests: one per partner and refid,
// with the PIN session, inquiry or transfer that served it.
type RequestStore interface {
	// CreatePartnerRequest inserts p in any state and sets p.ID. EConflict
	// if the partner already used p.RefID in any letter case (refids are
	// ASCII; "B-1" and "b-1" are one request), or if p.TransferID or
	// p.InquiryID already belongs to another request; EInvalid if a field
	// is out of range (empty partner or refid, amount <= 0, unknown kind,
	// mode or state, a final state without ResolvedAt, success without a
	// transfer); ENotFound if a referenced session, transfer or inquiry is
	// missing. CreatedAt and UpdatedAt default to now.
	CreatePartnerRequest(p *Request) error
	// PartnerRequest returns a request by ID (its trxid) (ENotFound).
	PartnerRequest(id int64) (*Request, error)
	// PartnerRequestByRef returns the request partner made with refid,
	// compared case-insensitively; the request keeps the spelling it was
	// created with (ENotFound).
	PartnerRequestByRef(partner, refid string) (*Request, error)
	// PartnerRequestBySession returns the request waiting on, or resolved
	// by, PIN session id (ENotFound).
	PartnerRequestBySession(sessionID int64) (*Request, error)
	// RequestsOfExpiredSessions lists up to limit open requests (pending
	// or unknown) with ID > after, in ID order, that wait on a PIN session
	// which has expired and still owes its notice (smsgw.Tx
	// ExpiryNoticesDue): the requests the expiry ended.
	RequestsOfExpiredSessions(after int64, limit int) ([]Request, error)
	// PartnerRequestByInquiry returns the request that paid inquiry id
	// (ENotFound).
	PartnerRequestByInquiry(inquiryID int64) (*Request, error)
	// PartnerRequestByTransfer returns the partner request whose credit is
	// transfer id (ENotFound).
	PartnerRequestByTransfer(transferID int64) (*Request, error)
	// ResolvePartnerRequest moves request p.ID to p.State, writing Code,
	// Message, TransferID, SN, BalanceAfter and ResolvedAt (default now).
	// It is a conditional update: a pending request may become success,
	// failed or unknown, and an unknown one success or failed. EConflict
	// if the request is in neither state (already final), ENotFound if it
	// does not exist, EInvalid if p.State is not a legal target.
	ResolvePartnerRequest(p *Request) error
	// PartnerRequests lists requests by filter, newest first.
	PartnerRequests(f RequestFilter) ([]Request, error)
	// LastPartnerRequest returns the newest request of partner for product
	// and dest created at or after since (ENotFound), leaving out refused
	// requests (failed without a PIN session).
	LastPartnerRequest(partner, product, dest string, since time.Time) (*Request, error)
}

// InquiryStore holds the inquiries of inquiry → payment requests.
type InquiryStore interface {
	// CreateInquiry inserts q and sets q.ID; CreatedAt defaults to now
	// (EInvalid if ExpiresAt is zero or a field is out of range).
	CreateInquiry(q *Inquiry) error
	// Inquiry returns an inquiry by ID (ENotFound).
	Inquiry(id int64) (*Inquiry, error)
}

// DestinationStore holds the consecutive failure counters of destination
// numbers, which block a destination after too many failed requests.
type DestinationStore interface {
	// Destination returns the failure counter of dest; a destination never
	// seen is returned with zero counts, not ENotFound.
	Destination(dest string) (*Destination, error)
	// SetDestination writes the counter of d.Dest (insert or replace);
	// UpdatedAt defaults to now.
	SetDestination(d *Destination) error
	// Destinations lists destinations with at least minFailures
	// consecutive failures, most failures first.
	Destinations(minFailures int, limit int) ([]Destination, error)
}

// CallbackStore is the outbox of callbacks to partners: queued, retried,
// sent or dead-lettered, and queued again by an operator.
type CallbackStore interface {
	// EnqueueCallback queues the callback of a final request and sets c.ID
	// (status queued). EConflict if the request already has one,
	// ENotFound if the request does not exist. NextAttempt, CreatedAt and
	// UpdatedAt default to now; Deadline is required.
	EnqueueCallback(c *Callback) error
	// Callback returns a callback by ID (ENotFound).
	Callback(id int64) (*Callback, error)
	// DueCallbacks lists queued callbacks with NextAttempt <= now, oldest
	// first.
	DueCallbacks(now time.Time, limit int) ([]Callback, error)
	// MarkCallbackSent counts an attempt and records the acknowledgement.
	// This and the two below return ENotFound unless id is queued.
	MarkCallbackSent(id int64, now time.Time) error
	// MarkCallbackRetry counts a failed attempt and schedules the next.
	MarkCallbackRetry(id int64, errText string, now, next time.Time) error
	// MarkCallbackDead counts the last failed attempt and dead-letters the
	// callback.
	MarkCallbackDead(id int64, errText string, now time.Time) error
	// RequeueCallback queues a dead or sent callback again, due at now,
	// with a new deadline and a fresh attempt counter (ENotFound if id
	// does not exist, EConflict if it is still queued).
	RequeueCallback(id int64, now, deadline time.Time) error
	// Callbacks lists callbacks by filter, newest first.
	Callbacks(f CallbackFilter) ([]Callback, error)
}

// SummaryStore counts the partner requests and callbacks for the
// dashboard.
type SummaryStore interface {
	// PartnerSummary counts the partner requests created in [from, to) by
	// state, and the callbacks queued and dead now (whenever they were
	// created; acknowledged callbacks are not counted).
	PartnerSummary(from, to time.Time) (Summary, error)
}

// Summary is what the dashboard shows of the partner API.
type Summary struct {
	Requests  map[State]int  // requests created in the period, by state
	Callbacks map[string]int // CallbackQueued and CallbackDead: callbacks in that status now
}
