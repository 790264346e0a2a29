package smsgw

import (
	"context"
	"time"

	"github.com/smsgw/smsgw/domain"
)

// Store is the only way the domain persists. Implementations live in
// store/... and must pass store/storetest.
//
// Update runs fn in one read-write transaction (SQLite: BEGIN IMMEDIATE) and
// commits when fn returns nil; View runs fn in a read-only transaction. A Tx
// must not be used after fn returns, and fn must not call Update on the same
// Store (it would wait for itself). Update returns nil only once fn's writes
// are committed. A busy or failed commit of fn's own transaction is returned
// as an internal error, not retried.
//
// fn may run more than once in one Update call: an implementation that
// commits concurrent calls together (store/sqlite's group commit) runs fn
// again, in a transaction of its own, when the shared transaction failed
// for a reason that was not fn's. Only the last run's writes are
// committed, so fn must not accumulate state across runs (append to a
// slice declared outside it, count, send on a channel...): it should set
// its results afresh on every run, as when a caller retries a failed
// Update.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// backgroundKey marks the context of background work (see Background).
type backgroundKey struct{}

// Background returns ctx marked as that of background work nobody waits
// for (the expiry of sessions and their notices): a Store may run the
// Update calls of unmarked contexts, the MOs', before it, as long as
// background work still makes progress.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// Tx is one transaction: the composition of the store's areas below. Every
// method returns an *Error with code ENotFound when the row it reads or
// updates is missing, EConflict on a unique constraint named in its comment,
// and internal errors otherwise. A method that fails writes nothing, so fn
// may handle a domain error and still commit. Zero CreatedAt/UpdatedAt
// fields mean the store's clock; a limit <= 0 means the implementation's
// default page size. These rules hold for every area interface.
//
// Each area has its own contract suite in store/storetest (TestCustomers,
// TestLedger, ...), so a new store can be brought up one area at a time.
type Tx interface {
	CustomerStore
	LedgerStore
	SessionStore
	MessageStore
	PartStore
	AuditStore
	ReportStore
	JobStore
	LimitStore
	CorrectionStore
}

// JobStore records the runs of periodic jobs, so that gateways sharing a
// store run each job once per tick. Error codes follow Tx.
type JobStore interface {
	// ClaimJobRun records that node runs job for the tick starting at tick,
	// to end by deadline at the latest, and reports true. It reports false
	// when a run of that tick is recorded already (another node took it),
	// or when a run of job for an earlier tick is not finished and its
	// deadline is after tick (a run that outlasts its interval is not
	// joined by another). Runs recorded more than a day before tick are
	// forgotten. EInvalid if job is empty.
	ClaimJobRun(job string, tick time.Time, node string, deadline time.Time) (bool, error)
	// FinishJobRun records that the run of job for tick has ended
	// (ENotFound if there is no such run).
	FinishJobRun(job string, tick time.Time) error
}

// CorrectionStore holds the maker-checker requests to correct the ledger.
// Error codes follow Tx.
type CorrectionStore interface {
	// CreateCorrection inserts c in state requested and sets c.ID.
	// EConflict if c.IdempotencyKey is used already.
	CreateCorrection(c *Correction) error
	// Correction returns a correction by id (ENotFound).
	Correction(id int64) (*Correction, error)
	// CorrectionByKey returns the correction with this idempotency key
	// (ENotFound).
	CorrectionByKey(key string) (*Correction, error)
	// Corrections lists corrections, newest first.
	Corrections(f CorrectionFilter) ([]Correction, error)
	// DecideCorrection moves correction c.ID from requested to c.State
	// (approved, rejected or expired), writing Checker, Note,
	// ResultTransferID and DecidedAt. EConflict if it is no longer
	// requested.
	DecideCorrection(c *Correction) error
	// Reversed returns what the transfers reversing transfer id have
	// moved back so far, and what open (requested) corrections of it ask
	// for.
	Reversed(id int64) (done, open domain.Amount, err error)
	// DueCorrections lists requested corrections with ExpiresAt <= now.
	DueCorrections(now time.Time, limit int) ([]Correction, error)
}

// LimitStore holds rate limits by key and the accounts each sender asked
// to top up lately, so that gateways sharing a store share the limits and
// a restart does not reset them. A refused event writes nothing, so a
// refusal costs no write. Error codes follow Tx.
type LimitStore interface {
	// TakeRate takes one event for key at at from the bucket r describes
	// (generic cell rate algorithm) and reports the verdict. EInvalid if
	// key is empty or r has no interval or burst.
	TakeRate(key string, r Rate, at time.Time) (RateVerdict, error)
	// UseAccount records that sender asks to top up account at at, unless
	// sender asked for max other accounts within window before at: then it
	// reports false and when the oldest of them leaves the window. An
	// account asked for within window is always allowed again.
	UseAccount(sender, account domain.MSISDN, at time.Time, window time.Duration, max int) (ok bool, until time.Time, err error)
	// PurgeLimits forgets rate keys whose bucket is full and refusal over
	// at now, and accounts last asked for before now-window; returns the
	// rows removed.
	PurgeLimits(now time.Time, window time.Duration) (int64, error)
}

// Rate is a token bucket: Burst events at once, refilled one per
// Interval. When Block is set, an event over the bucket starts a refusal
// of that length, during which every event is refused whatever the
// bucket holds.
type Rate struct {
	Interval time.Duration
	Burst    int
	Block    time.Duration
}

// RateVerdict is the outcome of TakeRate for one event.
type RateVerdict struct {
	OK bool
	// Started is set when this event started a refusal (Rate.Block): the
	// first event refused, the one to answer.
	Started bool
	// Until is, when refused, the end of the refusal or the time the next
	// event would be allowed.
	Until time.Time
}

// CustomerStore holds customers and their PIN state (hash, salt, failure
// counter, lock). Error codes follow Tx.
type CustomerStore interface {
	// CreateCustomer inserts a customer (EConflict if the MSISDN exists).
	CreateCustomer(c *Customer) error
	// Customer returns the customer registered with msisdn (ENotFound).
	Customer(msisdn domain.MSISDN) (*Customer, error)
	// UpdateCustomer writes PIN hash/salt, failure counter and lock fields of c.
	UpdateCustomer(c *Customer) error
	// Customers lists customers ordered by MSISDN, at most limit after the given MSISDN.
	Customers(after domain.MSISDN, limit int) ([]Customer, error)
	// UnlockDue clears locks whose LockedUntil <= now, resets their
	// PINFailures, and returns their MSISDNs in order.
	UnlockDue(now time.Time) ([]domain.MSISDN, error)
}

// LedgerStore holds accounts and the double-entry ledger: each transfer
// writes one debit and one credit entry and both balances in the same
// transaction, and the sum of all entries is always 0. Error codes follow
// Tx.
type LedgerStore interface {
	// CreateAccount inserts an account with balance 0 (EConflict if it
	// exists, EInvalid if Kind is not a Kind* constant).
	CreateAccount(a *Account) error
	// Account returns an account by ID (ENotFound).
	Account(id domain.AccountID) (*Account, error)
	// Transfer records t with its two ledger entries (debit t.From, credit
	// t.To) and updates both balances, all in this transaction. t.ID and
	// t.CreatedAt are set. EConflict if t.IdempotencyKey exists; EFunds if a
	// wallet or deposit balance would go negative; EInvalid if Amount <= 0,
	// the key is empty or From == To; ENotFound if an account is missing.
	Transfer(t *Transfer) error
	// TransferByKey returns the transfer with this idempotency key (ENotFound).
	TransferByKey(key string) (*Transfer, error)
	// TransferByID returns a transfer (ENotFound).
	TransferByID(id int64) (*Transfer, error)
	// Transfers lists the most recent transfers touching account, newest first.
	Transfers(account domain.AccountID, limit int) ([]Transfer, error)
	// Entries lists ledger entries of account, oldest first, after entry id.
	Entries(account domain.AccountID, afterID int64, limit int) ([]Entry, error)
	// LedgerSum returns the sum of all ledger entries (always 0 when sound).
	LedgerSum() (int64, error)
}

// SessionStore holds the PIN-flow sessions. At most one session per MSISDN
// is awaiting_pin; resolving one is a conditional update from
// awaiting_pin. Error codes follow Tx.
type SessionStore interface {
	// CreateSession inserts s in state awaiting_pin and sets s.ID. EBusy if
	// an awaiting_pin session exists for s.MSISDN (enforced by a unique index).
	CreateSession(s *Session) error
	// Session returns a session by ID (ENotFound).
	Session(id int64) (*Session, error)
	// OpenSession returns the awaiting_pin session of msisdn (ENotFound).
	OpenSession(msisdn domain.MSISDN) (*Session, error)
	// ResolveSession moves session id from awaiting_pin to s.State, writing
	// Attempts, ResolvedAt, PINMessageID and TransferID. It is a conditional
	// update: EConflict if the session is no longer awaiting_pin.
	ResolveSession(s *Session) error
	// SetSessionAttempts stores the wrong-PIN counter of an open session
	// (EConflict if it is no longer awaiting_pin).
	SetSessionAttempts(id int64, attempts int) error
	// ExpireSessions moves up to limit awaiting_pin sessions with
	// ExpiresAt <= now (the longest expired first) to expired, resolved at
	// now, each owing its customer the expiry notice, and returns how many.
	// A session resolved meanwhile by another transaction is left alone.
	ExpireSessions(now time.Time, limit int) (int, error)
	// ExpiryNoticesDue lists up to limit expired sessions with ID > after
	// whose notice is still owed, in ID order.
	ExpiryNoticesDue(after int64, limit int) ([]Session, error)
	// TakeExpiryNotice clears the owed notice of session id, a conditional
	// update: EConflict when none is owed (already taken), ENotFound when
	// there is no such session.
	TakeExpiryNotice(id int64) error
}

// MessageStore holds the SMS log with its inbox (MOs to process), outbox
// (MTs to send), delivery receipts and the redelivery records used to
// recognise an MO the SMSC sends again. Error codes follow Tx.
type MessageStore interface {
	// InsertMO stores an inbound message in the SMS log and the inbox and
	// sets m.ID. The inbox row keeps m.Request and secret until FinishMO;
	// PendingMOs returns them, Message and Messages do not. When m.DedupKey is set, the message is also recorded for
	// redelivery matching (RedeliveryCandidates) with its Link and
	// CreatedAt, until ForgetMOs or PurgeDedup removes it.
	InsertMO(m *Message, secret []byte) error
	// InsertMONow stores an inbound message as InsertMO does but without an
	// inbox row: the caller processes it in the same transaction (and
	// FinishMO marks it processed), so a failure rolls both back.
	InsertMONow(m *Message) error
	// RedeliveryCandidates lists the MOs recorded with key at or after
	// since, oldest first.
	RedeliveryCandidates(key string, since time.Time) ([]RedeliveryRecord, error)
	// RelinkRedelivery records that the MO's redelivery came over link and
	// clears its lost mark (ENotFound if it has no record).
	RelinkRedelivery(smsID int64, link string) error
	// MarkMOsLost marks lost the records of MOs whose link ended before the
	// peer confirmed their acknowledgement: each record whose SMSID and Link
	// are given (a record moved to another link since is left alone).
	// Returns how many it marked.
	MarkMOsLost(recs []RedeliveryRecord) (int64, error)
	// ForgetMOs removes the redelivery records of the given MOs and returns
	// how many it removed; unknown ids are ignored.
	ForgetMOs(ids []int64) (int64, error)
	// PurgeDedup removes redelivery records created before t; returns count.
	PurgeDedup(before time.Time) (int64, error)
	// PendingMOCount counts the MOs of sender msisdn not yet processed:
	// its inbox rows, and one stored by InsertMONow in this transaction
	// until FinishMO.
	PendingMOCount(msisdn domain.MSISDN) (int, error)
	// PendingMOs lists inbox rows not yet processed, oldest first.
	PendingMOs(limit int) ([]InboundMO, error)
	// MOPending reports whether inbox row id still waits to be processed:
	// false once FinishMO has run (ENotFound if there is no such row).
	// Gateways sharing a store check it in the transaction that processes
	// the row, so that a row another one has processed is skipped.
	MOPending(id int64) (bool, error)
	// FinishMO marks a received MO processed (its inbox row too, if it has
	// one, clearing its secret and request), and stores keyword, session and
	// transfer links on its log row. ENotFound if id is no inbound message;
	// EConflict if it was already processed (so a second processor's whole
	// transaction rolls back).
	FinishMO(id int64, keyword string, sessionID, transferID int64) error
	// SetMOStatus replaces the status FinishMO gave inbound row id with
	// MsgRateLimited or MsgRefused (EInvalid for any other status).
	// ENotFound unless id is an inbound row that has been processed.
	SetMOStatus(id int64, status string) error
	// EnqueueMT stores an outbound message in the SMS log (status queued) and
	// the outbox; m.ID is set.
	EnqueueMT(m *Message) error
	// DueMTs lists queued outbox messages with NextAttempt <= now, oldest
	// first with every bulk MT after the others, leaving out those whose
	// Route is one of skip (routes that cannot carry them now: they wait,
	// and do not hold the others up).
	DueMTs(now time.Time, skip []string, limit int) ([]Message, error)
	// ClaimDueMTs takes up to limit queued MTs due at now for owner until
	// until, and returns them oldest first, bulk MTs after the others. It
	// skips MTs another owner holds (a claim whose until has passed is
	// free again), MTs to a number with an earlier MT still held by another
	// owner, so that one number's MTs go out in order whichever gateway
	// sends them, and MTs whose Route is one of skip.
	ClaimDueMTs(owner string, now, until time.Time, skip []string, limit int) ([]Message, error)
	// ReleaseMTs gives up owner's claims on the queued MTs ids, or on all
	// of owner's when ids is nil.
	ReleaseMTs(owner string, ids []int64) error
	// MarkMTSent records the SMSC message ids of a sent MT (one per part, in
	// order), counts the attempt and removes it from the outbox. This and the
	// two below return ENotFound unless id is queued in the outbox.
	MarkMTSent(id int64, smscIDs []string, now time.Time) error
	// MarkMTRetry records a failed attempt and the next attempt time.
	MarkMTRetry(id int64, errText string, next time.Time) error
	// MarkMTFailed counts the attempt, gives up on an MT and removes it from
	// the outbox.
	MarkMTFailed(id int64, errText string, now time.Time) error
	// UpdateDLR applies a delivery receipt to the MT whose SMSC message id
	// equals smscID (exact match, any part); ENotFound if none. DLRState and
	// DLRError take the receipt's values; Status becomes undelivered when any
	// part is undelivered and delivered when every part is delivered.
	UpdateDLR(smscID string, state string, errCode string, at time.Time) error
	// Message returns one SMS log row (ENotFound).
	Message(id int64) (*Message, error)
	// OutboxDepth counts messages queued in the outbox.
	OutboxDepth() (int, error)
	// BulkQueued counts the bulk MTs queued in the outbox, up to limit
	// (it returns limit when there are more).
	BulkQueued(limit int) (int, error)
	// OutboxByRoute counts the messages queued in the outbox per Route
	// (routes without any are left out).
	OutboxByRoute() (map[string]int, error)
	// LastRoute returns the Route of the newest inbound message from
	// msisdn that has one: the operator the subscriber was last seen on
	// ("" when unknown).
	LastRoute(msisdn domain.MSISDN) (string, error)
}

// PartStore holds the parts of concatenated MOs. Each part of a long MO is
// stored before it is acknowledged and deleted when its message is complete
// or expired. Error codes follow Tx.
type PartStore interface {
	// InsertMOPart stores one part of a concatenated MO and sets p.ID.
	// EDuplicate if a part with the same Key and Seq is stored (the first
	// copy is kept and nothing is written); EInvalid if Key is empty or
	// Seq, Total or DataCoding is outside 1 <= Seq <= Total <= 255,
	// 0..255.
	InsertMOPart(p *MOPart) error
	// MOParts lists the stored parts of the message key in Seq order.
	MOParts(key string) ([]MOPart, error)
	// DeleteMOParts removes every stored part of key and returns how many.
	DeleteMOParts(key string) (int64, error)
	// MOPartMessages counts the messages (distinct keys) with stored parts.
	MOPartMessages() (int, error)
	// ExpireMOParts deletes the parts of every message whose earliest part
	// was created before before, and describes those messages, oldest
	// first.
	ExpireMOParts(before time.Time) ([]MOPartGroup, error)
}

// AuditStore holds the append-only audit trail of operator actions; it is
// read through ReportStore.AuditTrail.
type AuditStore interface {
	// AppendAudit appends e to the audit trail and sets e.ID; a zero e.At
	// means the store's clock. EInvalid if Actor or Action is empty. Audit
	// entries are never updated or deleted.
	AppendAudit(e *AuditEntry) error
}

// ReportStore holds the read-only queries behind the operator console and
// `smsgw audit`: filtered listings, per-transaction details and period
// summaries. Its methods never write, so a store may serve them from a read
// replica or a read-only transaction (Store.View). Listings are newest
// first unless their comment says otherwise. Error codes follow Tx.
type ReportStore interface {
	// Summary counts sessions created in [from, to) by state (still open
	// ones under awaiting_pin), sums the transfers of the confirmed ones, and
	// counts MOs and MTs logged in [from, to).
	Summary(from, to time.Time) (Summary, error)
	// Traffic counts the MOs and MTs logged in [from, to) per minute,
	// oldest first; minutes without messages are left out.
	Traffic(from, to time.Time) ([]TrafficPoint, error)
	// Credits sums the transfers into wallets created in [from, to), per
	// transfer kind, ordered by kind.
	Credits(from, to time.Time) ([]CreditTotal, error)
	// Sessions lists sessions by filter, newest first; the open ones of
	// every MSISDN (State awaiting_pin alone) latest to lapse first, which
	// with one TTL is newest first too.
	Sessions(f SessionFilter) ([]Session, error)
	// Messages lists SMS log rows by filter, newest first.
	Messages(f MessageFilter) ([]Message, error)
	// MessageParts lists the SMSC message ids of SMS log row id with the
	// delivery receipt of each, in part order (empty when it has none).
	MessageParts(id int64) ([]MessagePart, error)
	// CustomerList lists customers by filter, ordered by MSISDN.
	CustomerList(f CustomerFilter) ([]Customer, error)
	// TransferEntries lists the ledger entries of transfer id, the debit
	// first (empty when the transfer does not exist).
	TransferEntries(id int64) ([]Entry, error)
	// Ledger lists the ledger entries of f.Account joined with their
	// transfers, newest first, each with the running sum of the account's
	// entries up to and including it (which equals BalanceAfter when the
	// ledger is sound).
	Ledger(f LedgerFilter) ([]LedgerLine, error)
	// AuditTrail lists audit entries by filter, newest first.
	AuditTrail(f AuditFilter) ([]AuditEntry, error)
}
