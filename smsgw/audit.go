package smsgw

import "time"

// AuditTx holds the store methods of the operator views and the audit
// trail: queries behind the console and `smsgw audit`, and the append-only
// record of admin actions. It is part of Tx.
type AuditTx interface {
	// AppendAudit appends e to the audit trail and sets e.ID; a zero e.At
	// means the store's clock. EInvalid if Actor or Action is empty. Audit
	// entries are never updated or deleted.
	AppendAudit(e *AuditEntry) error
	// AuditTrail lists audit entries by filter, newest first.
	AuditTrail(f AuditFilter) ([]AuditEntry, error)

	// CustomerList lists customers by filter, ordered by MSISDN.
	CustomerList(f CustomerFilter) ([]Customer, error)

	// Traffic counts the MOs and MTs logged in [from, to) per minute,
	// oldest first; minutes without messages are left out.
	Traffic(from, to time.Time) ([]TrafficPoint, error)
	// Credits sums the transfers into wallets created in [from, to), per
	// transfer kind, ordered by kind.
	Credits(from, to time.Time) ([]CreditTotal, error)

	// MessageParts lists the SMSC message ids of SMS log row id with the
	// delivery receipt of each, in part order (empty when it has none).
	MessageParts(id int64) ([]MessagePart, error)
	// TransferEntries lists the ledger entries of transfer id, the debit
	// first (empty when the transfer does not exist).
	TransferEntries(id int64) ([]Entry, error)
	// Ledger lists the ledger entries of f.Account joined with their
	// transfers, newest first, each with the running sum of the account's
	// entries up to and including it (which equals BalanceAfter when the
	// ledger is sound).
	Ledger(f LedgerFilter) ([]LedgerLine, error)
}

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
	Amount Amount
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
	Account AccountID
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
	Counterparty AccountID // the other account of the transfer
	SessionID    int64
	MessageID    int64
	// RunningSum is the sum of the account's entries up to this one,
	// recomputed from the ledger; it equals BalanceAfter when sound.
	RunningSum Amount
}
