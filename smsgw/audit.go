package smsgw

import (
	"time"

	"github.com/smsgw/smsgw/domain"
)

// Audit trail actions.
const (
	ActionCustomerLock     = "customer.lock"
	ActionCustomerUnlock   = "customer.unlock"
	ActionCustomerResetPIN = "customer.reset_pin"
	ActionBindSuspend      = "bind.suspend"
	ActionBindResume       = "bind.resume"
	ActionLogin            = "console.login"
	ActionLogout           = "console.logout"
)

// AuditEntry is one append-only record of an operator action: who did
// what to which target, and when. Detail never holds a secret.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string // user name, e.g. a console user or "cli:root"
	Role   string // the actor's role when acting, e.g. "admin"
	Action string // an Action* constant
	Target string // e.g. a customer MSISDN or a bind name
	Detail string // what changed, in words; never a PIN or password
	Remote string // client address, if any
}

// AuditFilter selects audit entries; zero fields match anything. Since is
// inclusive and Until exclusive, both on At.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	Since  time.Time
	Until  time.Time
	Limit  int
	Offset int
}

// CustomerFilter selects customers; zero fields match anything.
type CustomerFilter struct {
	// MSISDNPrefix matches customers whose MSISDN starts with it.
	MSISDNPrefix string
	// LockedAt, when set, keeps only customers locked at that time.
	LockedAt time.Time
	Limit    int
	Offset   int
}

// TrafficPoint counts the messages logged in one minute.
type TrafficPoint struct {
	Minute time.Time // start of the minute, UTC
	MO, MT int
}

// CreditTotal is the number and sum of wallet credits of one kind.
type CreditTotal struct {
	Kind   string // a Transfer* constant
	Count  int
	Amount domain.Amount
}

// MessagePart is one SMSC message id of a logged message and the delivery
// receipt received for it, if any.
type MessagePart struct {
	Part     int
	SMSCID   string
	DLRState string
	DLRError string
	DLRAt    *time.Time // nil until a receipt arrived
}

// LedgerFilter selects the entries of one account. Since is inclusive and
// Until exclusive, both on the entry's CreatedAt.
type LedgerFilter struct {
	Account domain.AccountID
	Since   time.Time
	Until   time.Time
	Limit   int
	Offset  int
}

// LedgerLine is one ledger entry with its transfer.
type LedgerLine struct {
	Entry
	Kind         string // transfer kind
	Reference    string
	Counterparty domain.AccountID // the other account of the transfer
	SessionID    int64
	MessageID    int64
	// RunningSum is the sum of the account's entries up to this one,
	// recomputed from the ledger; it equals BalanceAfter when sound.
	RunningSum domain.Amount
}
