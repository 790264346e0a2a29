package smsgw

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

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

	// PartnerRequestByTransfer returns the partner request whose credit is
	// transfer id (ENotFound).
	PartnerRequestByTransfer(transferID int64) (*PartnerRequest, error)
	// PartnerSummary counts the partner requests created in [from, to) by
	// state, and the callbacks queued and dead now (whenever they were
	// created; acknowledged callbacks are not counted).
	PartnerSummary(from, to time.Time) (PartnerSummary, error)
}

// PartnerSummary is what the dashboard shows of the partner API.
type PartnerSummary struct {
	Requests  map[PartnerState]int // requests created in the period, by state
	Callbacks map[string]int       // CallbackQueued and CallbackDead: callbacks in that status now
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

// Timeline step kinds, in the order a PIN top-up produces them.
const (
	StepMO        = "mo"         // the MO that opened the transaction (IM2PAY)
	StepOtherMO   = "other_mo"   // another MO linked to it (BATAL, a repeated request)
	StepPINPrompt = "pin_prompt" // the MT asking for the PIN
	StepPIN       = "pin"        // a PIN reply (its text is stored redacted)
	StepReply     = "reply"      // another MT, e.g. wrong PIN
	StepTransfer  = "transfer"   // the ledger transfer
	StepResolved  = "resolved"   // the session reached its final state
	StepResult    = "result"     // the MT telling the outcome
	StepReceipt   = "receipt"    // a delivery receipt of an MT part

	// Steps of a host-to-host partner request.
	StepPartnerRequest = "partner_request" // the partner's request was recorded
	StepPartnerResult  = "partner_result"  // the request reached a final state, or was marked unknown
	StepCallback       = "callback"        // the callback to the partner was queued (Callback has its status now)
	StepCallbackSent   = "callback_sent"   // the partner acknowledged the callback
)

// Step is one event of a transaction's timeline.
type Step struct {
	At       time.Time
	Kind     string // a Step* constant
	Message  *Message
	Part     *MessagePart // for StepReceipt
	Transfer *Transfer    // for StepTransfer
	State    SessionState // for StepResolved
	// Partner is the request of StepPartnerRequest and StepPartnerResult;
	// Callback the callback of StepCallback and StepCallbackSent.
	Partner  *PartnerRequest
	Callback *Callback
}

// Transaction is everything recorded about one top-up: the PIN session,
// its messages, the ledger transfer and entries, and the timeline built
// from them. For a transfer without a session (host-to-host, bank) Session
// is nil. Partner is the host-to-host request that opened the session or
// made the transfer, if any, with its Callbacks.
type Transaction struct {
	Session   *Session
	Messages  []Message // oldest first
	Parts     map[int64][]MessagePart
	Transfer  *Transfer
	Entries   []Entry
	Partner   *PartnerRequest
	Callbacks []Callback // oldest first
	Steps     []Step
}

// outcomeReplies are the reply names that tell a session's final outcome.
var outcomeReplies = map[string]bool{
	ReplySuccess: true, ReplyLocked: true, ReplyExpired: true, ReplyCancelled: true, ReplyFailed: true,
}

// maxTransactionMessages bounds the messages loaded for one transaction.
const maxTransactionMessages = 500

// LoadTransaction reads the session id and everything linked to it
// (ENotFound if the session does not exist).
func LoadTransaction(tx Tx, sessionID int64) (*Transaction, error) {
	s, err := tx.Session(sessionID)
	if err != nil {
		return nil, err
	}
	t := &Transaction{Session: s}
	msgs, err := tx.Messages(MessageFilter{SessionID: s.ID, Limit: maxTransactionMessages})
	if err != nil {
		return nil, fmt.Errorf("messages of session %d: %w", s.ID, err)
	}
	if s.RequestMessage != 0 && !slices.ContainsFunc(msgs, func(m Message) bool { return m.ID == s.RequestMessage }) {
		// The request is linked when it is processed; show it before that too.
		m, err := tx.Message(s.RequestMessage)
		if err != nil && ErrorCode(err) != ENotFound {
			return nil, fmt.Errorf("request of session %d: %w", s.ID, err)
		}
		if m != nil {
			msgs = append(msgs, *m)
		}
	}
	if s.TransferID != 0 {
		if t.Transfer, err = tx.TransferByID(s.TransferID); err != nil {
			return nil, fmt.Errorf("transfer of session %d: %w", s.ID, err)
		}
	}
	r, err := tx.PartnerRequestBySession(s.ID)
	if err != nil && ErrorCode(err) != ENotFound {
		return nil, fmt.Errorf("partner request of session %d: %w", s.ID, err)
	}
	t.Partner = r
	return t, t.load(tx, msgs)
}

// LoadTransferTransaction reads transfer id with its session's transaction
// when it has one, else with the messages linked to it (ENotFound if the
// transfer does not exist).
func LoadTransferTransaction(tx Tx, transferID int64) (*Transaction, error) {
	tr, err := tx.TransferByID(transferID)
	if err != nil {
		return nil, err
	}
	if tr.SessionID != 0 {
		return LoadTransaction(tx, tr.SessionID)
	}
	t := &Transaction{Transfer: tr}
	msgs, err := tx.Messages(MessageFilter{TransferID: tr.ID, Limit: maxTransactionMessages})
	if err != nil {
		return nil, fmt.Errorf("messages of transfer %d: %w", tr.ID, err)
	}
	if tr.MessageID != 0 && !slices.ContainsFunc(msgs, func(m Message) bool { return m.ID == tr.MessageID }) {
		m, err := tx.Message(tr.MessageID)
		if err != nil && ErrorCode(err) != ENotFound {
			return nil, fmt.Errorf("message of transfer %d: %w", tr.ID, err)
		}
		if m != nil {
			msgs = append(msgs, *m)
		}
	}
	r, err := tx.PartnerRequestByTransfer(tr.ID)
	if err != nil && ErrorCode(err) != ENotFound {
		return nil, fmt.Errorf("partner request of transfer %d: %w", tr.ID, err)
	}
	t.Partner = r
	return t, t.load(tx, msgs)
}

// maxTransactionCallbacks bounds the callbacks loaded for one transaction
// (a request has one; the bound only guards the query).
const maxTransactionCallbacks = 10

// load completes t with msgs, their parts, the transfer's entries and the
// timeline.
func (t *Transaction) load(tx Tx, msgs []Message) error {
	slices.SortFunc(msgs, func(a, b Message) int { return cmp.Compare(a.ID, b.ID) })
	t.Messages = msgs
	t.Parts = map[int64][]MessagePart{}
	for _, m := range msgs {
		if m.Direction != DirOut {
			continue
		}
		parts, err := tx.MessageParts(m.ID)
		if err != nil {
			return fmt.Errorf("parts of message %d: %w", m.ID, err)
		}
		t.Parts[m.ID] = parts
	}
	if t.Transfer != nil {
		entries, err := tx.TransferEntries(t.Transfer.ID)
		if err != nil {
			return fmt.Errorf("entries of transfer %d: %w", t.Transfer.ID, err)
		}
		t.Entries = entries
	}
	if t.Partner != nil {
		cs, err := tx.Callbacks(CallbackFilter{RequestID: t.Partner.ID, Limit: maxTransactionCallbacks})
		if err != nil {
			return fmt.Errorf("callbacks of partner request %d: %w", t.Partner.ID, err)
		}
		slices.SortFunc(cs, func(a, b Callback) int { return cmp.Compare(a.ID, b.ID) })
		t.Callbacks = cs
	}
	t.Steps = t.timeline()
	return nil
}

// Step ranks order events that share a timestamp by cause and effect.
var stepRank = map[string]int{
	StepPartnerRequest: 0, StepMO: 0, StepOtherMO: 0, StepPIN: 0,
	StepTransfer: 1, StepResolved: 2, StepPartnerResult: 2,
	StepPINPrompt: 3, StepReply: 3, StepResult: 3, StepCallback: 3,
	StepReceipt: 4, StepCallbackSent: 4,
}

// timeline orders the transaction's events by time, then by cause.
func (t *Transaction) timeline() []Step {
	var steps []Step
	for i := range t.Messages {
		m := &t.Messages[i]
		s := Step{At: m.CreatedAt, Message: m}
		switch {
		case m.Direction == DirIn && t.Session != nil && m.ID == t.Session.RequestMessage:
			s.Kind = StepMO
		case m.Direction == DirIn && (m.Keyword == keywordPINReply || m.Keyword == keywordPINMisdirected):
			s.Kind = StepPIN
		case m.Direction == DirIn && t.Session == nil && t.Transfer != nil && m.ID == t.Transfer.MessageID:
			s.Kind = StepMO
		case m.Direction == DirIn:
			s.Kind = StepOtherMO
		case m.Keyword == ReplyPINPrompt:
			s.Kind = StepPINPrompt
		case outcomeReplies[m.Keyword]:
			s.Kind = StepResult
		default:
			s.Kind = StepReply
		}
		steps = append(steps, s)
		for j := range t.Parts[m.ID] {
			p := &t.Parts[m.ID][j]
			if p.DLRAt != nil {
				steps = append(steps, Step{At: *p.DLRAt, Kind: StepReceipt, Message: m, Part: p})
			}
		}
	}
	if t.Transfer != nil {
		steps = append(steps, Step{At: t.Transfer.CreatedAt, Kind: StepTransfer, Transfer: t.Transfer})
	}
	if s := t.Session; s != nil && s.ResolvedAt != nil {
		steps = append(steps, Step{At: *s.ResolvedAt, Kind: StepResolved, State: s.State})
	}
	if r := t.Partner; r != nil {
		steps = append(steps, Step{At: r.CreatedAt, Kind: StepPartnerRequest, Partner: r})
		switch {
		case r.ResolvedAt != nil:
			steps = append(steps, Step{At: *r.ResolvedAt, Kind: StepPartnerResult, Partner: r})
		case r.State == PartnerUnknown:
			steps = append(steps, Step{At: r.UpdatedAt, Kind: StepPartnerResult, Partner: r})
		}
		for i := range t.Callbacks {
			c := &t.Callbacks[i]
			steps = append(steps, Step{At: c.CreatedAt, Kind: StepCallback, Callback: c})
			if c.SentAt != nil {
				steps = append(steps, Step{At: *c.SentAt, Kind: StepCallbackSent, Callback: c})
			}
		}
	}
	slices.SortStableFunc(steps, func(a, b Step) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(stepRank[a.Kind], stepRank[b.Kind])
	})
	return steps
}
