package smsgw

import (
	"time"

	"github.com/smsgw/smsgw/domain"
)

// Customer is a payer registered for SMS top-up: the MSISDN that sends
// IM2PAY and answers the PIN prompt.
type Customer struct {
	MSISDN      domain.MSISDN
	Name        string
	Account     domain.MSISDN // the customer's own i-pay account (wallet)
	PINHash     []byte        // HMAC-SHA256(key, salt || PIN); never the PIN
	PINSalt     []byte
	PINFailures int        // consecutive wrong PINs
	LockedUntil *time.Time // nil when not locked
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Locked reports whether the customer is locked at now.
func (c *Customer) Locked(now time.Time) bool {
	return c.LockedUntil != nil && now.Before(*c.LockedUntil)
}

// Account is a ledger account with its running balance.
type Account struct {
	ID        domain.AccountID
	Kind      string
	Owner     domain.MSISDN // empty for settlement/deposit accounts
	Balance   domain.Amount
	CreatedAt time.Time
}

// Transfer kinds of the SMS core.
//
// Domains built on the Gateway credit wallets with kinds of their own;
// those they register with Gateway.AllowRefunds may be refunded.
const (
	TransferSMSTopUp = "sms_topup" // IM2PAY confirmed by PIN
	TransferReversal = "reversal"  // a correction undoing (part of) a transfer
	TransferRefund   = "refund"    // a reversal of an outside request's credit, back to the source account it came from
)

// Transfer moves Amount from one account to another; it is immutable and is
// written with exactly two ledger entries.
type Transfer struct {
	ID             int64
	IdempotencyKey string // unique; e.g. "session:<id>", "bank:<ref>"
	RequestHash    string // hash of the request that made it, to detect key reuse
	Kind           string
	From           domain.AccountID
	To             domain.AccountID
	Amount         domain.Amount
	SessionID      int64  // 0 if none
	MessageID      int64  // SMS log id of the MO that caused it, 0 if none
	Reference      string // the client's or bank's reference, if any
	// ReversesID is, for a reversal or refund, the transfer it undoes
	// (part of); 0 otherwise.
	ReversesID int64
	CreatedAt  time.Time
}

// Entry is one append-only ledger entry.
type Entry struct {
	ID           int64
	TransferID   int64
	Account      domain.AccountID
	Amount       domain.Amount // signed: negative debit, positive credit
	BalanceAfter domain.Amount
	CreatedAt    time.Time
}

// SessionState is the state of a PIN session.
type SessionState string

// Session states. Only awaiting_pin is open; the others are final.
const (
	StateAwaitingPIN SessionState = "awaiting_pin"
	StateConfirmed   SessionState = "confirmed"
	StateLocked      SessionState = "wrong_pin_locked"
	StateExpired     SessionState = "expired"
	StateCancelled   SessionState = "cancelled"
	StateFailed      SessionState = "failed"
)

// Session is one IM2PAY request waiting for, or resolved by, the payer's PIN.
type Session struct {
	ID             int64
	MSISDN         domain.MSISDN // the payer
	Account        domain.MSISDN // the i-pay account to credit
	Amount         domain.Amount
	State          SessionState
	Attempts       int // wrong PINs in this session
	Channel        string
	RequestMessage int64 // SMS log id of the IM2PAY MO
	PINMessage     int64 // SMS log id of the PIN MO that resolved it, 0 if none
	TransferID     int64 // 0 unless confirmed
	CreatedAt      time.Time
	ExpiresAt      time.Time
	ResolvedAt     *time.Time
}

// SessionFilter selects sessions; zero fields match anything.
type SessionFilter struct {
	MSISDN domain.MSISDN
	State  SessionState
	Since  time.Time
	Until  time.Time
	Limit  int
	Offset int
}

// Directions and channels of messages.
const (
	DirIn       = "in"
	DirOut      = "out"
	ChannelSMS  = "sms"
	ChannelUSSD = "ussd"
)

// Message statuses.
const (
	MsgReceived    = "received"     // inbound, stored, not processed
	MsgProcessed   = "processed"    // inbound, processed
	MsgRateLimited = "rate_limited" // inbound, kept but not processed: the sender was over the MO rate (AbuseRules)
	MsgRefused     = "refused"      // inbound, processed and refused by an abuse limit (too many accounts)
	MsgQueued      = "queued"       // outbound, in the outbox
	MsgSent        = "sent"         // outbound, accepted by the SMSC
	MsgFailed      = "failed"       // outbound, given up
	MsgDelivered   = "delivered"    // outbound, delivery receipt says delivered
	MsgUndeliv     = "undelivered"
)

// Message is one row of the SMS log, inbound (MO) or outbound (MT). Text is
// what operators may see: PIN-bearing texts are stored redacted.
type Message struct {
	ID        int64
	Direction string
	Channel   string
	ShortCode string
	MSISDN    domain.MSISDN
	Text      string
	Keyword   string // inbound: the keyword or marker it was classified as (KeywordPINReply, ...)
	Template  string // outbound: the reply template it was rendered from (ReplyPINPrompt, ...)
	Request   string // inbound, until processed: its Request (Request.Encode), PIN-free
	// Addr is the number in the form the network uses for it: for an MO
	// the sender address as it arrived, for an MT the address to answer
	// (copied from the MO it answers; zero when it answers none).
	Addr        Address
	DedupKey    string   // inbound only
	Link        string   // inbound only: the transport connection that delivered it ("" unknown); not logged
	SMSCIDs     []string // outbound: message ids from submit_sm_resp, one per part; inbound: id given by the SMSC, if any
	Status      string
	DLRState    string
	DLRError    string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	SessionID   int64
	TransferID  int64
	USSDSession string
	// Route is, for an MO, the route (operator) whose SMSC delivered it;
	// for an MT, the route it leaves through. "" when unknown (an MO
	// that came over no SMSC; rows stored before routes): such an MT
	// takes the default route.
	Route string
	// Bulk marks an MT nobody is waiting for (the expiry notices, queued
	// by the thousand after a mass expiry): due replies go out before it,
	// also a later reply to the same number (an expiry notice names the
	// account and amount of the request it ends, so it cannot be taken for
	// a newer one). Set on EnqueueMT; read back by DueMTs and ClaimDueMTs.
	Bulk      bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Address is a number as the network gave it: its digits (or letters)
// with their type of number and numbering plan (SMPP TON and NPI). A reply
// goes to the address its MO came from, in the same form, because an SMSC
// may route by it.
type Address struct {
	Value    string
	TON, NPI uint8
}

// RedeliveryRecord is a stored MO whose acknowledgement the peer has not
// provably read: its fate is open, or (Lost) its link ended first and the
// SMSC may deliver it again (see Gateway.HandleMO).
type RedeliveryRecord struct {
	SMSID     int64
	Key       string // Message.DedupKey
	Link      string // the link it arrived over
	CreatedAt time.Time
	Lost      bool // the link ended before the acknowledgement was confirmed
}

// InboundMO is an inbox row: a stored MO not yet processed, with its secret
// (PIN verifiers, never a PIN) if it carried one.
type InboundMO struct {
	Message
	Secret []byte
}

// MessageFilter selects SMS log rows; zero fields match anything.
type MessageFilter struct {
	MSISDN     domain.MSISDN
	ShortCode  string
	Keyword    string // inbound keyword
	Template   string // outbound reply template
	Direction  string
	Status     string
	Since      time.Time
	Until      time.Time
	SessionID  int64
	TransferID int64
	Limit      int
	Offset     int
}

// Summary is the daily report.
type Summary struct {
	From, To      time.Time
	ByState       map[SessionState]int
	Credited      domain.Amount
	CreditedCount int
	MOs, MTs      int
}

// Correction kinds and states.
const (
	CorrectionReversal = "reversal" // undo (part of) a transfer to its source account
	CorrectionRefund   = "refund"   // undo (part of) an outside request's credit, back to the source account it came from

	CorrectionRequested = "requested"
	CorrectionApproved  = "approved"
	CorrectionRejected  = "rejected"
	CorrectionExpired   = "expired"
)

// Correction is a maker-checker request to correct the ledger: one
// operator (the maker) asks for a reversal or refund of (part of) a
// transfer, another (the checker) approves it, which writes the reversing
// transfer, or rejects it; a request nobody decides expires.
type Correction struct {
	ID               int64
	Kind             string // CorrectionReversal or CorrectionRefund
	TransferID       int64  // the transfer to undo
	Amount           domain.Amount
	Reason           string
	IdempotencyKey   string
	State            string
	Maker, Checker   string
	Note             string // the checker's words on a rejection
	ResultTransferID int64  // the reversing transfer, once approved
	CreatedAt        time.Time
	ExpiresAt        time.Time
	DecidedAt        *time.Time
}

// CorrectionFilter selects corrections; zero fields match anything.
type CorrectionFilter struct {
	State      string
	TransferID int64
	Limit      int
	Offset     int
}
