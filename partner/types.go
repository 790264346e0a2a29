package partner

import (
	"time"

	"github.com/smsgw/smsgw/domain"
)

// State is the state of a partner request. Pending and unknown are
// open; success and failed are final and never change again.
type State string

// Partner request states.
const (
	Pending State = "pending" // waiting for the customer's confirmation
	Success State = "success" // credited
	Failed  State = "failed"  // not credited, final
	Unknown State = "unknown" // not final after the pending window: for reconciliation
)

// Final reports whether s is success or failed.
func (s State) Final() bool { return s == Success || s == Failed }

// Kinds of partner requests.
const (
	KindTopUp   = "topup"   // top-up by product and destination
	KindPayment = "payment" // payment of an earlier inquiry
	KindVA      = "va"      // bank payment confirmation to a virtual account
	// KindVAReversal is a bank's reversal of a VA payment it confirmed:
	// its own refid, trxid, status and callback; ReversesID is the
	// payment.
	KindVAReversal = "va_reversal"
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

// Failure reasons recorded in Request.Code for a failed request.
const (
	ReasonExpired   = "expired"   // the customer did not answer the PIN prompt in time
	ReasonCancelled = "cancelled" // the customer sent BATAL
	ReasonLocked    = "locked"    // wrong PINs: the customer was locked
	ReasonFailed    = "failed"    // the credit could not be made
)

// Audit trail actions of the partner API.
const (
	ActionDeposit        = "partner.deposit"
	ActionUnblock        = "partner.unblock"
	ActionCallbackResend = "partner.callback_resend"
)

// Transfer kinds of the partner API (smsgw.Transfer.Kind). Register makes
// the credits of partner requests (TransferH2H, TransferBankVA) refundable
// by ledger corrections.
const (
	TransferH2H     = "h2h"         // host-to-host top-up from a deposit
	TransferBankVA  = "bank_va"     // bank payment confirmation to a virtual account
	TransferDeposit = "h2h_deposit" // operator top-up of a partner deposit
)

// Error codes of partner outcomes, besides the general ones. A top-up or
// payment with a new refid refused with ECutoff, EBlocked, EDestination (no
// such account), ENotCustomer, EPossibleDup (or the general EFunds, EBusy
// and ELocked) is recorded as a failed request whose Code is the error code
// (see Refused); the other refusals write no partner request.
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
	Deposit domain.AccountID
	// VA allows bank payment confirmations; they are funded from
	// Settlement, default "settlement:<ID>".
	VA         bool
	Settlement domain.AccountID
}

// Request is one partner transaction: a top-up, the payment of an
// inquiry, or a bank payment confirmation. Its ID is the trxid the partner
// sees. Every credit a partner causes is the TransferID of exactly one
// request.
type Request struct {
	ID          int64
	Partner     string
	RefID       string        // the partner's id, unique per partner in any letter case (a bank reference for VA)
	Kind        string        // PartnerKind*
	Mode        string        // Mode*; VA confirmations are immediate
	Product     string        // canonical product code ("" for VA)
	Dest        domain.MSISDN // the i-pay account credited
	Amount      domain.Amount
	Price       domain.Amount // debited from the partner's deposit (0 when the customer pays)
	State       State
	Code        string // failure reason of a failed request (Reason*, or the error code of a refusal)
	Message     string // operator-facing detail
	RequestHash string // hash of the request, to tell a resend from a reuse of the refid
	TransferKey string // idempotency key of the credit's transfer
	SessionID   int64  // PIN session of a customer-confirmed request
	TransferID  int64  // the credit, once successful
	InquiryID   int64  // the inquiry a payment pays
	ReversesID  int64  // the VA payment a reversal reverses
	SN          string // our reference of the credit, quoted to support
	// Partner deposit balance before the request and after its final
	// state.
	BalanceBefore domain.Amount
	BalanceAfter  domain.Amount
	Duplicate     bool      // same product and destination seen within the duplicate window
	PaidAt        time.Time // VA: when the customer paid at the bank
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ResolvedAt    *time.Time // set once final
}

// RequestFilter selects partner requests; zero fields match
// anything. States, when not empty, matches any of them.
type RequestFilter struct {
	Partner string
	RefID   string // compared case-insensitively
	Dest    domain.MSISDN
	States  []State
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
	Dest      domain.MSISDN
	Amount    domain.Amount
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Destination counts consecutive failed partner requests to one
// destination; it is blocked while Failures reaches the block threshold.
type Destination struct {
	Dest        domain.MSISDN
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
