package smsgw

import "time"

// PartnerTx holds the store methods of the host-to-host partner API:
// partner requests by refid, inquiries, request nonces, destination failure
// counters and the callback outbox. It is part of Tx, so a partner request,
// its ledger transfer and its callback are written in one transaction.
type PartnerTx interface {
	// UseNonce records a request nonce of partner at the given time.
	// EDuplicate if the pair was recorded before (a replayed request).
	UseNonce(partner, nonce string, at time.Time) error
	// PurgeNonces forgets nonces recorded before t; returns the count.
	PurgeNonces(before time.Time) (int64, error)

	// CreatePartnerRequest inserts p in any state and sets p.ID. EConflict
	// if the partner already used p.RefID in any letter case (refids are
	// ASCII; "B-1" and "b-1" are one request), or if p.TransferID or
	// p.InquiryID already belongs to another request; EInvalid if a field
	// is out of range (empty partner or refid, amount <= 0, unknown kind,
	// mode or state, a final state without ResolvedAt, success without a
	// transfer); ENotFound if a referenced session, transfer or inquiry is
	// missing. CreatedAt and UpdatedAt default to now.
	CreatePartnerRequest(p *PartnerRequest) error
	// PartnerRequest returns a request by ID (its trxid) (ENotFound).
	PartnerRequest(id int64) (*PartnerRequest, error)
	// PartnerRequestByRef returns the request partner made with refid,
	// compared case-insensitively; the request keeps the spelling it was
	// created with (ENotFound).
	PartnerRequestByRef(partner, refid string) (*PartnerRequest, error)
	// PartnerRequestBySession returns the request waiting on, or resolved
	// by, PIN session id (ENotFound).
	PartnerRequestBySession(sessionID int64) (*PartnerRequest, error)
	// PartnerRequestByInquiry returns the request that paid inquiry id
	// (ENotFound).
	PartnerRequestByInquiry(inquiryID int64) (*PartnerRequest, error)
	// ResolvePartnerRequest moves request p.ID to p.State, writing Code,
	// Message, TransferID, SN, BalanceAfter and ResolvedAt (default now).
	// It is a conditional update: a pending request may become success,
	// failed or unknown, and an unknown one success or failed. EConflict
	// if the request is in neither state (already final), ENotFound if it
	// does not exist, EInvalid if p.State is not a legal target.
	ResolvePartnerRequest(p *PartnerRequest) error
	// PartnerRequests lists requests by filter, newest first.
	PartnerRequests(f PartnerRequestFilter) ([]PartnerRequest, error)
	// LastPartnerRequest returns the newest request of partner for product
	// and dest created at or after since (ENotFound).
	LastPartnerRequest(partner, product, dest string, since time.Time) (*PartnerRequest, error)

	// CreateInquiry inserts q and sets q.ID; CreatedAt defaults to now
	// (EInvalid if ExpiresAt is zero or a field is out of range).
	CreateInquiry(q *Inquiry) error
	// Inquiry returns an inquiry by ID (ENotFound).
	Inquiry(id int64) (*Inquiry, error)

	// Destination returns the failure counter of dest; a destination never
	// seen is returned with zero counts, not ENotFound.
	Destination(dest string) (*Destination, error)
	// SetDestination writes the counter of d.Dest (insert or replace);
	// UpdatedAt defaults to now.
	SetDestination(d *Destination) error
	// Destinations lists destinations with at least minFailures
	// consecutive failures, most failures first.
	Destinations(minFailures int, limit int) ([]Destination, error)

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

// PartnerState is the state of a partner request. Pending and unknown are
// open; success and failed are final and never change again.
type PartnerState string

// Partner request states.
const (
	PartnerPending PartnerState = "pending" // waiting for the customer's confirmation
	PartnerSuccess PartnerState = "success" // credited
	PartnerFailed  PartnerState = "failed"  // not credited, final
	PartnerUnknown PartnerState = "unknown" // not final after the pending window: for reconciliation
)

// Final reports whether s is success or failed.
func (s PartnerState) Final() bool { return s == PartnerSuccess || s == PartnerFailed }

// Kinds of partner requests.
const (
	PartnerKindTopUp   = "topup"   // top-up by product and destination
	PartnerKindPayment = "payment" // payment of an earlier inquiry
	PartnerKindVA      = "va"      // bank payment confirmation to a virtual account
)

// Partner modes: how a top-up is funded and confirmed.
const (
	// ModeImmediate credits at once from the partner's deposit account.
	ModeImmediate = "immediate"
	// ModeConfirm sends the destination customer the PIN prompt; the
	// customer's SMS banking PIN confirms, and the partner learns the
	// result by callback.
	ModeConfirm = "confirm"
)

// Failure reasons recorded in PartnerRequest.Code for a failed request.
const (
	ReasonExpired   = "expired"   // the customer did not answer the PIN prompt in time
	ReasonCancelled = "cancelled" // the customer sent BATAL
	ReasonLocked    = "locked"    // wrong PINs: the customer was locked
	ReasonFailed    = "failed"    // the credit could not be made
)

// Audit trail actions of the partner API.
const (
	ActionPartnerDeposit = "partner.deposit"
	ActionPartnerUnblock = "partner.unblock"
	ActionCallbackResend = "partner.callback_resend"
)

// Transfer kinds of the partner API besides TransferH2H and TransferBankVA.
const (
	TransferDeposit = "h2h_deposit" // operator top-up of a partner deposit
)

// Error codes of partner outcomes, besides the general ones. A request
// refused with one of these writes no partner request.
const (
	ECutoff      = "cutoff"      // inside the daily cutoff window
	EBlocked     = "blocked"     // destination blocked after consecutive failures
	EReplay      = "replay"      // nonce already used
	EProduct     = "product"     // unknown product code or amount not allowed
	EDestination = "destination" // malformed destination or no such i-pay account
	EPossibleDup = "possible_duplicate"
	EForbidden   = "forbidden"      // operation not enabled for this partner
	EPaid        = "paid"           // inquiry already paid
	ENotCustomer = "not_registered" // confirmation mode: the destination is no registered payer
)

// Partner is the domain configuration of one host-to-host partner.
// Authentication (secrets, IP ranges, signatures) is the transport's.
type Partner struct {
	ID   string
	Mode string // ModeImmediate or ModeConfirm
	// Deposit funds immediate credits; default "deposit:<ID>".
	Deposit AccountID
	// VA allows bank payment confirmations; they are funded from
	// Settlement, default "settlement:<ID>".
	VA         bool
	Settlement AccountID
}

// PartnerRequest is one partner transaction: a top-up, the payment of an
// inquiry, or a bank payment confirmation. Its ID is the trxid the partner
// sees. Every credit a partner causes is the TransferID of exactly one
// request.
type PartnerRequest struct {
	ID          int64
	Partner     string
	RefID       string // the partner's id, unique per partner in any letter case (a bank reference for VA)
	Kind        string // PartnerKind*
	Mode        string // Mode*; VA confirmations are immediate
	Product     string // canonical product code ("" for VA)
	Dest        MSISDN // the i-pay account credited
	Amount      Amount
	Price       Amount // debited from the partner's deposit (0 when the customer pays)
	State       PartnerState
	Code        string // failure reason of a failed request (Reason*)
	Message     string // operator-facing detail
	RequestHash string // hash of the request, to tell a resend from a reuse of the refid
	TransferKey string // idempotency key of the credit's transfer
	SessionID   int64  // PIN session of a customer-confirmed request
	TransferID  int64  // the credit, once successful
	InquiryID   int64  // the inquiry a payment pays
	SN          string // our reference of the credit, quoted to support
	// Partner deposit balance before the request and after its final
	// state.
	BalanceBefore Amount
	BalanceAfter  Amount
	Duplicate     bool      // same product and destination seen within the duplicate window
	PaidAt        time.Time // VA: when the customer paid at the bank
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ResolvedAt    *time.Time // set once final
}

// PartnerRequestFilter selects partner requests; zero fields match
// anything. States, when not empty, matches any of them.
type PartnerRequestFilter struct {
	Partner string
	RefID   string // compared case-insensitively
	Dest    MSISDN
	States  []PartnerState
	Since   time.Time
	Until   time.Time
	Limit   int
	Offset  int
}

// Inquiry is the first step of an inquiry → payment: the amount and the
// account holder's name, valid until ExpiresAt.
type Inquiry struct {
	ID        int64
	Partner   string
	Product   string
	Dest      MSISDN
	Amount    Amount
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Destination counts consecutive failed partner requests to one
// destination; it is blocked while Failures reaches the block threshold.
type Destination struct {
	Dest        MSISDN
	Failures    int
	LastFailure *time.Time
	UpdatedAt   time.Time
}

// Callback statuses.
const (
	CallbackQueued = "queued" // waiting for its next attempt
	CallbackSent   = "sent"   // acknowledged by the partner
	CallbackDead   = "dead"   // given up after the retry window; may be requeued
)

// Callback is the outbox row that tells a partner the final state of its
// request. It is written in the same transaction as that state.
type Callback struct {
	ID          int64
	RequestID   int64
	Partner     string
	Status      string
	Attempts    int
	NextAttempt time.Time
	Deadline    time.Time // no retry is scheduled after this
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SentAt      *time.Time
}

// CallbackFilter selects callbacks; zero fields match anything.
type CallbackFilter struct {
	Partner   string
	Status    string
	RequestID int64
	Limit     int
	Offset    int
}
