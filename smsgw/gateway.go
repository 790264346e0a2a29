package smsgw

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// MO is one inbound message as the transport hands it over (after
// reassembly of concatenated parts).
type MO struct {
	From        string // source address as received
	FromTON     uint8  // its type of number, as received (SMPP source_addr_ton)
	FromNPI     uint8  // its numbering plan, as received (SMPP source_addr_npi)
	To          string // short code
	Text        string
	SMSCID      string // message id given by the SMSC, if any
	Channel     string // ChannelSMS or ChannelUSSD
	USSDSession string
	ReceivedAt  time.Time
	// Link identifies the transport connection that delivered the MO (for
	// SMPP, the bound session), unique across restarts.
	Link string
	// Track, when set, registers a function the transport calls exactly
	// once when it knows whether the peer read the MO's acknowledgement:
	// true when it provably did (it cannot deliver the MO again), false
	// when the link ended first (it may). A transport that cannot tell
	// leaves it nil: its MOs are never taken for redeliveries.
	Track func(fate func(confirmed bool))
}

// MT is one outbound message for the Sender.
type MT struct {
	ID   int64 // SMS log id
	From string
	To   domain.MSISDN
	// ToAddr is To as the network gave it when the MT answers an MO: the
	// sender address in the form it arrived (digits, TON and NPI). The
	// zero Address when the MT answers nothing (an expiry notice, a
	// partner's prompt): then the transport addresses To.
	ToAddr      Address
	Text        string
	Channel     string
	USSDSession string
}

// Sender delivers one MT from a short code and returns the SMSC message id
// of each part. An error whose Temporary method reports false is permanent:
// the message is not retried.
type Sender interface {
	Send(ctx context.Context, m MT) ([]string, error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m MT) ([]string, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m MT) ([]string, error) { return f(ctx, m) }

var _ Sender = SenderFunc(nil)

// Observer is told about outcomes after they are committed, for metrics.
// Its methods must be fast and safe for concurrent use.
type Observer interface {
	// MO is called once per processed MO with its short code and keyword
	// (canonical keyword, or a marker such as UNKNOWN or PIN_REPLY).
	MO(shortCode, keyword string)
	// MT is called per send attempt with the reply's kind (its template
	// name, e.g. pin_prompt or success) and result "sent", "retry" or
	// "failed".
	MT(shortCode, keyword, result string)
	// Session is called when a session reaches a final state.
	Session(state SessionState)
	// PINFailure is called for every wrong PIN.
	PINFailure()
	// Credit is called for every committed credit.
	Credit(kind string, amount domain.Amount)
}

type nopObserver struct{}

func (nopObserver) MO(string, string)            {}
func (nopObserver) MT(string, string, string)    {}
func (nopObserver) Session(SessionState)         {}
func (nopObserver) PINFailure()                  {}
func (nopObserver) Credit(string, domain.Amount) {}

// Rules are the reloadable parts of the configuration: keywords, nominal
// rules, reply templates and the flow policy.
type Rules struct {
	RequestCode  string // short code for requests, e.g. "9779"
	PINCode      string // short code for PIN replies, e.g. "3355"
	Keywords     *keywords.Table
	Replies      *Replies
	SessionTTL   time.Duration // default 5m
	MaxAttempts  int           // wrong PINs before lock, default 3
	LockDuration time.Duration // default 30m
	PINMinLen    int           // default 6
	PINMaxLen    int           // default 6
	Abuse        AbuseRules    // per-sender limits; zero limits are off
	// Location is the zone of the times in reply texts (lock ends, RIWAYAT
	// dates); default WIB (UTC+7).
	Location *time.Location
}

// Options configure a Gateway.
type Options struct {
	Store      Store
	Sender     Sender
	Hasher     *PINHasher
	Rules      Rules
	Settlement domain.AccountID // funding account of SMS top-ups, default "settlement:bank"
	// DedupWindow is how long after its first arrival an MO can be matched
	// to a redelivery (default 2m).
	DedupWindow time.Duration
	// AckWait bounds how long an MO waits for the fate of an earlier copy
	// still open on another link (default DefaultAckWait).
	AckWait time.Duration
	// MTMaxAttempts bounds sending retries of one MT (default 10); retries
	// back off exponentially from MTRetryBase (default 2s) to 5m.
	MTMaxAttempts int
	MTRetryBase   time.Duration
	// PartTimeout is how long the stored parts of a concatenated MO wait
	// for the rest after the first part (default 10m); MaxPartMessages
	// bounds the messages waiting for parts (default 1000).
	PartTimeout     time.Duration
	MaxPartMessages int
	// MaxBacklog bounds the MOs stored and not yet processed: above it a
	// new MO waits up to BacklogWait for room, then HandleMO refuses it
	// with EBusy (the transport asks the SMSC to retry later). Defaults
	// DefaultMaxBacklog and DefaultBacklogWait; a negative MaxBacklog
	// turns the bound off.
	MaxBacklog  int
	BacklogWait time.Duration
	// DeferProcessing makes HandleMO only store an MO, for the inbox to
	// process it. By default an MO whose sender has no earlier MO waiting
	// is processed in the transaction that stores it: one commit holds
	// the MO, its effects and its reply, at the price of a slightly later
	// acknowledgement.
	DeferProcessing bool
	// Workers bounds how many senders' MOs are processed, and how many
	// numbers' MTs are sent, at the same time (default DefaultWorkers).
	// Concurrent transactions let the store commit them together; one
	// sender's MOs and one number's MTs always go one at a time, in order.
	Workers  int
	Now      func() time.Time
	Logger   *slog.Logger
	Observer Observer // optional
}

// Gateway runs the top-up flows. It is safe for concurrent use; inbox
// processing is sequential, so MOs of one MSISDN are handled in order.
type Gateway struct {
	store       Store
	sender      Sender
	hasher      *PINHasher
	dedupMACKey []byte // keys the content de-duplication MAC
	settlement  domain.AccountID
	dedupWindow time.Duration
	ackWait     time.Duration
	acks        *ackBook
	mtMax       int
	mtBase      time.Duration
	partTimeout time.Duration
	maxPartMsgs int
	now         func() time.Time
	log         *slog.Logger
	obs         Observer

	rules atomic.Pointer[Rules]
	hook  atomic.Pointer[hookBox] // SessionHook, see SetSessionHook

	procMu  sync.Mutex          // serialises inbox processing
	workers int                 // senders processed (and MT destinations sent to) at once
	deferMO bool                // Options.DeferProcessing
	backlog backlog             // stored MOs not yet processed
	failMu  sync.Mutex          // guards moFails
	moFails map[int64]moFailure // inbox rows that failed, under failMu
	abuse   abuseGuard          // per-sender abuse limits (AbuseRules)
	sendMu  sync.Mutex          // serialises outbox sending
	wakeIn  chan struct{}
	wakeMT  chan struct{}

	stats Stats

	// unrecorded holds, under recMu, the SMSC ids of MTs the SMSC
	// accepted but the store failed to mark sent: they are recorded, not
	// sent again.
	recMu      sync.Mutex
	unrecorded map[int64][]string
}

// Stats are counters a metrics exporter can read.
type Stats struct {
	MOStored, MODuplicate, MOProcessed, MOFailed atomic.Int64
	MOThrottled                                  atomic.Int64 // refused while the backlog was full
	MTSent, MTRetried, MTFailed                  atomic.Int64
	Credited, CreditedAmount                     atomic.Int64
	WrongPIN, Locked, Expired, Cancelled         atomic.Int64
}

// New returns a Gateway. It does no I/O.
func New(o Options) (*Gateway, error) {
	if o.Store == nil || o.Sender == nil || o.Hasher == nil {
		return nil, errors.New("smsgw: Store, Sender and Hasher are required")
	}
	g := &Gateway{
		store: o.Store, sender: o.Sender, hasher: o.Hasher,
		dedupMACKey: o.Hasher.subkey("smsgw: MO de-duplication v1"),
		settlement:  o.Settlement,
		dedupWindow: o.DedupWindow,
		ackWait:     o.AckWait,
		acks:        newAckBook(),
		mtMax:       o.MTMaxAttempts,
		mtBase:      o.MTRetryBase,
		partTimeout: o.PartTimeout,
		maxPartMsgs: o.MaxPartMessages,
		now:         o.Now,
		log:         o.Logger,
		obs:         o.Observer,
		moFails:     map[int64]moFailure{},
		wakeIn:      make(chan struct{}, 1),
		wakeMT:      make(chan struct{}, 1),
	}
	if g.settlement == "" {
		g.settlement = "settlement:bank"
	}
	if g.dedupWindow <= 0 {
		g.dedupWindow = 2 * time.Minute
	}
	if g.ackWait <= 0 {
		g.ackWait = DefaultAckWait
	}
	if g.mtMax <= 0 {
		g.mtMax = 10
	}
	if g.mtBase <= 0 {
		g.mtBase = 2 * time.Second
	}
	if g.partTimeout <= 0 {
		g.partTimeout = DefaultPartTimeout
	}
	if g.maxPartMsgs <= 0 {
		g.maxPartMsgs = DefaultMaxPartMessages
	}
	g.backlog.max, g.backlog.wait = int64(o.MaxBacklog), o.BacklogWait
	if o.MaxBacklog == 0 {
		g.backlog.max = DefaultMaxBacklog
	}
	if g.backlog.wait <= 0 {
		g.backlog.wait = DefaultBacklogWait
	}
	g.workers = o.Workers
	g.deferMO = o.DeferProcessing
	if g.workers <= 0 {
		g.workers = DefaultWorkers
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.obs == nil {
		g.obs = nopObserver{}
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	g.log = g.log.With("component", "gateway")
	if err := g.SetRules(o.Rules); err != nil {
		return nil, err
	}
	return g, nil
}

// SetRules replaces keywords, nominal rules, replies and policy; used on
// SIGHUP. In-flight work finishes with the rules it started with.
func (g *Gateway) SetRules(r Rules) error {
	if r.RequestCode == "" || r.PINCode == "" || r.RequestCode == r.PINCode {
		return errors.New("smsgw: request and PIN short codes must be set and differ")
	}
	if r.Keywords == nil || r.Replies == nil {
		return errors.New("smsgw: Keywords and Replies are required")
	}
	if r.SessionTTL <= 0 {
		r.SessionTTL = 5 * time.Minute
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 3
	}
	if r.LockDuration <= 0 {
		r.LockDuration = 30 * time.Minute
	}
	if r.PINMinLen <= 0 {
		r.PINMinLen = 6
	}
	if r.PINMaxLen < r.PINMinLen {
		r.PINMaxLen = r.PINMinLen
	}
	if r.Location == nil {
		r.Location = wib
	}
	r.Abuse.defaults()
	g.rules.Store(&r)
	return nil
}

// Rules returns the rules in force.
func (g *Gateway) Rules() Rules { return *g.rules.Load() }

// Stats returns the live counters.
func (g *Gateway) Stats() *Stats { return &g.stats }

// Settlement returns the funding account of SMS top-ups.
func (g *Gateway) Settlement() domain.AccountID { return g.settlement }

// Init creates the settlement account if it does not exist and counts
// the MOs a previous run left in the inbox.
func (g *Gateway) Init(ctx context.Context) error {
	err := g.store.View(ctx, func(tx Tx) error {
		pending, err := tx.PendingMOs(int(max(g.backlog.max, 1)) + 1)
		g.backlog.n.Store(int64(len(pending)))
		return err
	})
	if err != nil {
		return fmt.Errorf("count inbox: %w", err)
	}
	return g.store.Update(ctx, func(tx Tx) error {
		err := tx.CreateAccount(&Account{ID: g.settlement, Kind: domain.KindSettlement})
		if ErrorCode(err) == EConflict {
			return nil
		}
		return err
	})
}

// redactedPIN replaces PIN digits in stored texts.
const redactedPIN = "****"

// Keywords recorded for messages that are not keyword commands.
const (
	KeywordPINReply       = "PIN_REPLY"      // PIN sent to the PIN short code
	KeywordPINMisdirected = "PIN_WRONG_CODE" // PIN sent to the request short code
)

// HandleMO stores mo durably and returns nil once it is committed: only
// then may the transport acknowledge it to the SMSC. An SMSC redelivery of
// an MO stored before (see redelivery.go) returns nil too and is not
// processed again; mo.Track, when set, is how the transport reports whether
// the SMSC read the acknowledgement. Processing happens afterwards, from the
// inbox (Run or ProcessInbox).
func (g *Gateway) HandleMO(ctx context.Context, mo MO) error {
	if err := g.backlog.room(ctx); err != nil {
		g.stats.MOThrottled.Add(1)
		return err
	}
	r := g.rules.Load()
	m := g.inbound(&mo)
	track := mo.Track != nil && !isSMSCKey(m.DedupKey)
	if track {
		// An earlier copy still open on another link is either confirmed
		// (then this one is new) or lost (then this is its redelivery):
		// wait for the answer rather than guess.
		g.acks.wait(ctx, m.DedupKey, m.Link, g.ackWait)
	}
	var (
		dup    bool
		tk     ackTicket
		f      *flow // set when the MO was processed in the storing transaction
		inline = !g.deferMO
	)
	store := func(tx Tx) error {
		f = nil
		var (
			secret []byte
			err    error
		)
		if dup, secret, err = g.admit(tx, r, m, mo.ReceivedAt, track, &tk); err != nil || dup || !inline {
			return err
		}
		f, err = g.processNow(tx, r, m, secret)
		return err
	}
	err := g.store.Update(ctx, store)
	if errors.Is(err, errProcessLater) {
		// Processing failed: store the MO alone; the inbox retries it.
		inline = false
		err = g.store.Update(ctx, store)
	}
	g.handOver(&tk, mo.Track, err == nil)
	if err != nil {
		return fmt.Errorf("store MO: %w", err)
	}
	if dup {
		g.stats.MODuplicate.Add(1)
		g.log.Info("SMSC redelivery of an MO already stored", "msisdn", m.MSISDN, "sms_id", m.ID)
		return nil
	}
	g.stats.MOStored.Add(1)
	if f != nil {
		g.stats.MOProcessed.Add(1)
		g.abuse.forget(m.ID)
		g.report(f)
		g.wake(g.wakeMT)
		return nil
	}
	g.backlog.add(1)
	g.wake(g.wakeIn)
	return nil
}

// errProcessLater makes the storing transaction of an MO roll back when
// processing it there failed; the MO is then stored alone.
var errProcessLater = errors.New("process the MO from the inbox")

// processNow processes the MO m that tx has just stored, in the same
// transaction, unless an earlier MO of the same sender still waits in the
// inbox (the sender's MOs are handled in order): then it returns nil and
// the inbox processes m after it. One transaction (and one commit) then
// holds the MO, its processing and its reply. A processing failure is
// logged and returned as errProcessLater.
func (g *Gateway) processNow(tx Tx, r *Rules, m *Message, secret []byte) (*flow, error) {
	n, err := tx.PendingMOCount(m.MSISDN)
	if err != nil {
		return nil, err
	}
	if n != 1 { // m itself is pending
		return nil, nil
	}
	in := InboundMO{Message: *m, Secret: secret}
	f, err := g.processIn(tx, r, in)
	if err != nil {
		g.log.Warn("processing an MO as it was stored failed; the inbox retries it", "sms_id", m.ID, "msisdn", m.MSISDN, "err", err)
		return nil, errProcessLater
	}
	return f, nil
}

// inbound fills the defaults of mo and returns its SMS log row.
func (g *Gateway) inbound(mo *MO) *Message {
	if mo.ReceivedAt.IsZero() {
		mo.ReceivedAt = g.now()
	}
	if mo.Channel == "" {
		mo.Channel = ChannelSMS
	}
	from := domain.MSISDN(mo.From)
	if n, err := keywords.NormalizeMSISDN(mo.From); err == nil {
		from = domain.MSISDN(n)
	}
	m := &Message{
		Direction:   DirIn,
		Channel:     mo.Channel,
		ShortCode:   mo.To,
		MSISDN:      from,
		Text:        mo.Text,
		Status:      MsgReceived,
		USSDSession: mo.USSDSession,
		CreatedAt:   mo.ReceivedAt,
		DedupKey:    g.dedupKey(*mo, from),
		Link:        mo.Link,
		Addr:        Address{Value: mo.From, TON: mo.FromTON, NPI: mo.FromNPI},
	}
	if mo.SMSCID != "" {
		m.SMSCIDs = []string{mo.SMSCID}
		m.Link = "" // an SMSC id identifies the message whatever the link
	}
	return m
}

// storeMO classifies m once (Rules.Classify) and stores it in tx with its
// request, its redacted text and the verifiers of the PINs it carries.
func (g *Gateway) storeMO(tx Tx, r *Rules, m *Message) ([]byte, error) {
	in := r.Classify(m.ShortCode, m.Text)
	sec, err := g.secretOf(tx, m.MSISDN, in)
	if err != nil {
		return nil, err
	}
	m.Keyword, m.Text, m.Request = in.Keyword, in.Text, in.Request.Encode()
	return sec, tx.InsertMO(m, sec)
}

// smscKeyPrefix starts the de-duplication key of an MO with an SMSC id.
const smscKeyPrefix = "smsc:"

// dedupKey is what a redelivery of mo would share with it: the SMSC id where
// given, else (for a transport that tracks acknowledgements) a MAC of
// sender, short code, channel and text; "" when neither applies, for an MO
// that cannot be redelivered. The MAC is keyed (a key derived from the PIN
// key): a plain hash of a PIN reply would give its PIN away to anyone
// holding the database, after at most 10^6 guesses.
func (g *Gateway) dedupKey(mo MO, from domain.MSISDN) string {
	if mo.SMSCID != "" {
		return smscKeyPrefix + string(from) + ":" + mo.SMSCID
	}
	if mo.Track == nil {
		return ""
	}
	h := hmac.New(sha256.New, g.dedupMACKey)
	for _, s := range []string{string(from), mo.To, mo.Channel, mo.USSDSession, mo.Text} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "text:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// secretOf returns the secret to store with an MO: verifiers of the PINs
// in carries, computed with the sender's current salt, never the digits;
// nil when it carries none or the sender is not registered.
func (g *Gateway) secretOf(tx CustomerStore, from domain.MSISDN, in Intake) ([]byte, error) {
	var kind byte
	switch {
	case in.Request.Kind == RequestPINReply && in.PIN != "":
		kind = secretPIN
	case in.Request.Kind == RequestChangePIN && in.PIN != "" && in.NewPIN != "":
		kind = secretChangePIN
	default:
		return nil, nil
	}
	c, err := tx.Customer(from)
	if ErrorCode(err) == ENotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	s := secret{kind: kind, check: g.hasher.Hash(c.PINSalt, in.PIN), saltFP: saltFingerprint(c.PINSalt)}
	if kind == secretChangePIN {
		if s.newSalt, err = NewSalt(); err != nil {
			return nil, err
		}
		s.newHash = g.hasher.Hash(s.newSalt, in.NewPIN)
	}
	return s.marshal(), nil
}

func (g *Gateway) wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run processes the inbox and sends the outbox until ctx is done. It picks
// up work left by a previous run (a crash between storing and processing).
func (g *Gateway) Run(ctx context.Context, poll time.Duration) error {
	if poll <= 0 {
		poll = time.Second
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); g.loop(ctx, poll, g.wakeIn, g.ProcessInbox) }()
	go func() { defer wg.Done(); g.loop(ctx, poll, g.wakeMT, g.SendDue) }()
	go func() { defer wg.Done(); g.loop(ctx, poll, g.acks.flush, g.RecordAckFates) }()
	wg.Wait()
	return ctx.Err()
}

func (g *Gateway) loop(ctx context.Context, poll time.Duration, wake chan struct{}, work func(context.Context) (int, error)) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := work(ctx); err != nil && ctx.Err() == nil {
			g.log.Error("background work failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// ProcessInbox processes stored MOs and returns how many were processed.
// Each MO is processed in one transaction together with the session
// change, ledger transfer and reply messages it causes. Different senders'
// MOs are processed concurrently (up to Workers at a time, so that the
// store can commit them together); one sender's MOs are processed one
// after the other, in arrival order. An MO that fails is tried again on
// the next call, and its sender's later MOs wait behind it until it
// succeeds or is given up (MaxMOAttempts).
func (g *Gateway) ProcessInbox(ctx context.Context) (int, error) {
	g.procMu.Lock()
	defer g.procMu.Unlock()
	var (
		mu    sync.Mutex
		done  int
		tried = map[int64]bool{} // each row at most once per call
	)
	limit := inboxPage
	for {
		var batch []InboundMO
		err := g.store.View(ctx, func(tx Tx) error {
			var err error
			batch, err = tx.PendingMOs(limit)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("list inbox: %w", err)
		}
		if len(batch) == 0 {
			g.backlog.n.Store(0) // resynchronised: MOs processed elsewhere
			g.failMu.Lock()
			clear(g.moFails) // rows finished elsewhere leave no entry behind
			g.failMu.Unlock()
			return done, nil
		}
		// A sender whose earlier MO failed waits behind it: a customer's
		// messages are handled in the order they arrived.
		queues := bySender(batch, func(in InboundMO) domain.MSISDN { return in.MSISDN })
		progress := false
		err = g.parallel(ctx, len(queues), func(i int) {
			for _, in := range queues[i] {
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				again := tried[in.ID]
				tried[in.ID] = true
				mu.Unlock()
				if again {
					return
				}
				err := g.processOne(ctx, in)
				if err == nil {
					g.failMu.Lock()
					delete(g.moFails, in.ID)
					g.failMu.Unlock()
					g.stats.MOProcessed.Add(1)
					g.wake(g.wakeMT)
				} else {
					if ctx.Err() != nil {
						return
					}
					g.stats.MOFailed.Add(1)
					if !g.giveUp(ctx, in, err) {
						return // its later MOs wait
					}
				}
				mu.Lock()
				progress = true
				done++
				mu.Unlock()
			}
		})
		if err != nil {
			return done, err
		}
		if !progress {
			if len(batch) == limit && limit < maxInboxScan {
				// Every row seen waits behind a failed one: look further,
				// other senders' messages must not wait for it.
				limit = min(4*limit, maxInboxScan)
				continue
			}
			return done, fmt.Errorf("%d inbox messages wait for a failed one to succeed or be given up", len(batch))
		}
	}
}

// DefaultWorkers is the default of Options.Workers.
const DefaultWorkers = 32

// inboxPage is how many inbox rows ProcessInbox reads at a time.
const inboxPage = 200

// bySender splits rows into one queue per sender, keeping each sender's
// rows in their order and the senders in order of their first row.
func bySender[T any](rows []T, sender func(T) domain.MSISDN) [][]T {
	idx := map[domain.MSISDN]int{}
	var queues [][]T
	for _, r := range rows {
		k := sender(r)
		i, ok := idx[k]
		if !ok {
			i = len(queues)
			idx[k] = i
			queues = append(queues, nil)
		}
		queues[i] = append(queues[i], r)
	}
	return queues
}

// parallel runs work(0..n-1) on up to g.workers goroutines and waits for
// them; it returns ctx's error if ctx ended meanwhile.
func (g *Gateway) parallel(ctx context.Context, n int, work func(i int)) error {
	workers := min(g.workers, n)
	if workers <= 1 {
		for i := range n {
			work(i)
		}
		return ctx.Err()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				work(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return ctx.Err()
}

// An MO whose processing keeps failing (a store fault, a reply template
// that cannot be rendered) is given up after MaxMOAttempts attempts over
// at least MOGiveUpAfter: it is marked processed and its sender gets the
// "unavailable" reply, so neither the customer nor the messages queued
// behind it wait forever. A restart gives it a fresh count.
const (
	MaxMOAttempts = 5
	MOGiveUpAfter = time.Minute
)

// maxInboxScan bounds how far past rows waiting behind a failed MO one
// ProcessInbox call looks for other senders' messages.
const maxInboxScan = 6400

// moFailure counts the failed attempts at one inbox row.
type moFailure struct {
	attempts int
	first    time.Time
}

// giveUp records a failed attempt at in and, once it is due, finishes in
// with an apology. It reports whether in left the inbox.
func (g *Gateway) giveUp(ctx context.Context, in InboundMO, cause error) bool {
	now := g.now()
	g.failMu.Lock()
	f, ok := g.moFails[in.ID]
	if !ok {
		f.first = now
	}
	f.attempts++
	g.moFails[in.ID] = f
	g.failMu.Unlock()
	if f.attempts < MaxMOAttempts || now.Sub(f.first) < MOGiveUpAfter {
		g.log.Error("process MO failed; will retry", "sms_id", in.ID, "msisdn", in.MSISDN,
			"attempt", f.attempts, "err", cause)
		return false
	}
	r := g.rules.Load()
	err := g.store.Update(ctx, func(tx Tx) error {
		if err := tx.FinishMO(in.ID, in.Keyword, 0, 0); err != nil {
			return err
		}
		if _, err := keywords.NormalizeMSISDN(string(in.MSISDN)); err != nil {
			return nil // nobody to answer
		}
		if err := g.enqueue(tx, r, in.ShortCode, in.MSISDN, in.Addr, in.Channel, in.USSDSession, ReplyUnavailable, ReplyData{}, 0, 0); err != nil {
			g.log.Error("apology for a given-up MO cannot be queued", "sms_id", in.ID, "err", err)
		}
		return nil
	})
	if err != nil {
		g.log.Error("give up MO failed; will retry", "sms_id", in.ID, "msisdn", in.MSISDN, "err", err)
		return false
	}
	g.failMu.Lock()
	delete(g.moFails, in.ID)
	g.failMu.Unlock()
	g.backlog.add(-1)
	g.abuse.forget(in.ID)
	g.log.Error("MO given up after repeated failures; the sender was told", "sms_id", in.ID,
		"msisdn", in.MSISDN, "attempts", f.attempts, "err", cause)
	return true
}

// flow carries the transaction-scoped state of processing one MO.
type flow struct {
	g       *Gateway
	r       *Rules
	tx      Tx
	in      InboundMO
	now     time.Time
	keyword string
	session int64
	xfer    int64

	// Committed outcomes, reported to the Observer after commit.
	outcome    SessionState
	pinFailure bool
	credited   domain.Amount
	// status overrides the processed status of the MO (MsgRateLimited,
	// MsgRefused) when an abuse limit refused it, for reason refused.
	status  string
	refused string
}

func (g *Gateway) processOne(ctx context.Context, in InboundMO) error {
	r := g.rules.Load()
	var f *flow
	err := g.store.Update(ctx, func(tx Tx) (err error) {
		f, err = g.processIn(tx, r, in)
		return err
	})
	if err != nil {
		return err
	}
	g.backlog.add(-1)
	g.abuse.forget(in.ID)
	g.report(f)
	return nil
}

// processIn processes the inbox row in within tx and finishes it.
func (g *Gateway) processIn(tx Tx, r *Rules, in InboundMO) (*flow, error) {
	f := &flow{g: g, r: r, tx: tx, in: in, now: g.now(), keyword: in.Keyword}
	if err := f.process(); err != nil {
		return nil, err
	}
	if err := tx.FinishMO(in.ID, f.keyword, f.session, f.xfer); err != nil {
		return nil, err
	}
	if f.status != "" {
		if err := tx.SetMOStatus(in.ID, f.status); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// report updates counters and the Observer once a flow has committed.
func (g *Gateway) report(f *flow) {
	g.obs.MO(f.in.ShortCode, f.keyword)
	if f.pinFailure {
		g.stats.WrongPIN.Add(1)
		g.obs.PINFailure()
	}
	switch f.outcome {
	case "":
	case StateConfirmed:
		g.stats.Credited.Add(1)
		g.stats.CreditedAmount.Add(int64(f.credited))
		g.obs.Credit(TransferSMSTopUp, f.credited)
	case StateLocked:
		g.stats.Locked.Add(1)
	case StateExpired:
		g.stats.Expired.Add(1)
	case StateCancelled:
		g.stats.Cancelled.Add(1)
	}
	if f.outcome != "" {
		g.obs.Session(f.outcome)
	}
	if ao, ok := g.obs.(AbuseObserver); ok && f.refused != "" {
		ao.Refused(f.refused)
	}
}

// reply enqueues a reply to the sender of the MO being processed.
func (f *flow) reply(from, name string, d ReplyData) error {
	return f.g.enqueue(f.tx, f.r, from, f.in.MSISDN, f.in.Addr, f.in.Channel, f.in.USSDSession, name, d, f.session, f.xfer)
}

func (g *Gateway) enqueue(tx Tx, r *Rules, from string, to domain.MSISDN, addr Address, channel, ussd, name string, d ReplyData, session, xfer int64) error {
	d.RequestCode, d.PINCode = r.RequestCode, r.PINCode
	text, err := r.Replies.Render(name, d)
	if err != nil {
		return err
	}
	if channel == "" {
		channel = ChannelSMS
	}
	m := &Message{
		Direction: DirOut, Channel: channel, ShortCode: from, MSISDN: to, Addr: addr, Text: text,
		Template: name, Status: MsgQueued, SessionID: session, TransferID: xfer,
		USSDSession: ussd, NextAttempt: g.now(), CreatedAt: g.now(),
	}
	return tx.EnqueueMT(m)
}

func (f *flow) process() error {
	in := f.in
	if _, err := keywords.NormalizeMSISDN(string(in.MSISDN)); err != nil {
		// Alphanumeric or malformed sender: nobody to answer.
		f.keyword = "INVALID_SENDER"
		return nil
	}
	if limited, err := f.rateLimited(); limited || err != nil {
		return err
	}
	req := f.request()
	switch in.ShortCode {
	case f.r.PINCode:
		if req.Kind == RequestPINReply {
			return f.pinReply()
		}
	case f.r.RequestCode:
	default:
		f.keyword = "WRONG_SHORT_CODE"
		return nil
	}
	switch req.Kind {
	case RequestPay:
		return f.pay(req.Account, req.Amount)
	case RequestBalance:
		return f.balance()
	case RequestHistory:
		return f.history()
	case RequestCancel:
		return f.cancel()
	case RequestChangePIN:
		return f.changePIN()
	case RequestPINMisdirected:
		return f.reply(f.r.RequestCode, ReplyPINWrongCode, ReplyData{})
	case RequestInvalid:
		return f.invalid(req)
	default:
		return f.reply(f.r.RequestCode, ReplyHelp, ReplyData{})
	}
}

// request returns what the MO asks for, as classified when it was stored.
// An MO stored before requests were kept (or with one that cannot be read)
// is classified now, from its stored text.
func (f *flow) request() Request {
	if f.in.Request != "" {
		if req, err := DecodeRequest(f.in.Request); err == nil {
			return req
		}
		f.g.log.Warn("stored request unreadable; classifying the stored text", "sms_id", f.in.ID)
	}
	return f.r.Classify(f.in.ShortCode, f.in.Text).Request
}

// invalid answers a text that is no command.
func (f *flow) invalid(req Request) error {
	d := ReplyData{Allowed: f.allowed()}
	switch req.Error {
	case InvalidUnknownKeyword, InvalidEmpty:
		f.keyword = "UNKNOWN"
		return f.reply(f.r.RequestCode, ReplyUnknownKeyword, d)
	case InvalidBadAmount:
		return f.reply(f.r.RequestCode, ReplyBadAmount, d)
	case InvalidAmountNotAllowed:
		d.Amount = req.Amount.Grouped()
		return f.reply(f.r.RequestCode, ReplyAmountNotAllow, d)
	default:
		return f.reply(f.r.RequestCode, ReplyBadFormat, d)
	}
}

func (f *flow) allowed() string {
	rules := f.r.Keywords.Rules()
	if len(rules.Allowed) > 0 {
		return domain.FormatAmounts(rules.Allowed)
	}
	return fmt.Sprintf("Rp%s s/d Rp%s", rules.Min.Grouped(), rules.Max.Grouped())
}

// customer loads the sender; ok is false (and a reply enqueued) when the
// sender is not registered or is locked. An unregistered sender of a top-up
// gets the not_registered reply ("IM2PAY GAGAL: ..."), of any other keyword
// not_registered_other, which names the keyword.
func (f *flow) customer() (*Customer, bool, error) {
	c, err := f.tx.Customer(f.in.MSISDN)
	if ErrorCode(err) == ENotFound {
		if f.keyword == keywords.KeywordPay {
			return nil, false, f.reply(f.r.RequestCode, ReplyNotRegistered, ReplyData{})
		}
		// Not a failed top-up: say what the number cannot do yet.
		return nil, false, f.reply(f.r.RequestCode, ReplyNotRegisteredKW, ReplyData{Keyword: f.keyword})
	} else if err != nil {
		return nil, false, err
	}
	if c.Locked(f.now) {
		return nil, false, f.reply(f.r.RequestCode, ReplyStillLocked, ReplyData{Until: f.r.customerTime(*c.LockedUntil)})
	}
	return c, true, nil
}

func (f *flow) pay(account domain.MSISDN, amount domain.Amount) error {
	c, ok, err := f.customer()
	if !ok || err != nil {
		return err
	}
	d := ReplyData{Account: account.Local(), Amount: amount.Grouped(), TTL: int(f.r.SessionTTL / time.Minute)}
	if refused, err := f.tooManyAccounts(c, account, d); refused || err != nil {
		return err
	}
	if _, err := f.tx.Account(domain.WalletID(account)); ErrorCode(err) == ENotFound {
		return f.reply(f.r.RequestCode, ReplyUnknownAccount, d)
	} else if err != nil {
		return err
	}
	if open, err := f.tx.OpenSession(c.MSISDN); err == nil {
		f.session = open.ID
		d.Account, d.Amount = open.Account.Local(), open.Amount.Grouped()
		return f.reply(f.r.RequestCode, ReplyBusy, d)
	} else if ErrorCode(err) != ENotFound {
		return err
	}
	s := &Session{
		MSISDN: c.MSISDN, Account: account, Amount: amount, State: StateAwaitingPIN,
		Channel: f.in.Channel, RequestMessage: f.in.ID, CreatedAt: f.now, ExpiresAt: f.now.Add(f.r.SessionTTL),
	}
	if err := f.tx.CreateSession(s); err != nil {
		return err
	}
	f.session = s.ID
	return f.reply(f.r.PINCode, ReplyPINPrompt, d)
}

func (f *flow) pinReply() error {
	f.keyword = KeywordPINReply
	s, err := f.tx.OpenSession(f.in.MSISDN)
	if ErrorCode(err) == ENotFound {
		return f.reply(f.r.PINCode, ReplyNoSession, ReplyData{})
	} else if err != nil {
		return err
	}
	f.session = s.ID
	d := ReplyData{Account: s.Account.Local(), Amount: s.Amount.Grouped(), TTL: int(f.r.SessionTTL / time.Minute)}
	if !f.now.Before(s.ExpiresAt) {
		// The expiry job has not run yet; the answer is the same.
		return f.expire(s)
	}
	if f.in.Secret == nil {
		return f.reply(f.r.PINCode, ReplyNotAPIN, d)
	}
	sec, err := parseSecret(f.in.Secret)
	if err != nil || sec.kind != secretPIN {
		return f.reply(f.r.PINCode, ReplyNotAPIN, d)
	}
	c, err := f.tx.Customer(f.in.MSISDN)
	if err != nil {
		return err
	}
	if c.Locked(f.now) {
		return f.reply(f.r.PINCode, ReplyStillLocked, ReplyData{Until: f.r.customerTime(*c.LockedUntil)})
	}
	if sec.saltChanged(c.PINSalt) {
		// The PIN was changed or reset after this reply was stored: it
		// cannot be checked, and it is not counted as wrong.
		return f.reply(f.r.PINCode, ReplyNotAPIN, d)
	}
	if !Equal(sec.check, c.PINHash) {
		return f.wrongPIN(c, s, d)
	}
	t := &Transfer{
		IdempotencyKey: "session:" + strconv.FormatInt(s.ID, 10),
		RequestHash:    requestHash("sms_topup", string(s.Account), strconv.FormatInt(int64(s.Amount), 10)),
		Kind:           TransferSMSTopUp,
		From:           f.g.settlement,
		To:             domain.WalletID(s.Account),
		Amount:         s.Amount,
		SessionID:      s.ID,
		MessageID:      s.RequestMessage,
		Reference:      "SMS" + strconv.FormatInt(s.ID, 10),
	}
	if err := f.tx.Transfer(t); err != nil {
		if ErrorCode(err) == EFunds {
			return f.resolve(s, StateFailed, ReplyFailed, d)
		}
		return err
	}
	f.xfer = t.ID
	s.TransferID = t.ID
	c.PINFailures = 0
	c.UpdatedAt = f.now
	if err := f.tx.UpdateCustomer(c); err != nil {
		return err
	}
	d.Ref = t.Reference
	f.credited = s.Amount
	return f.resolve(s, StateConfirmed, ReplySuccess, d)
}

func (f *flow) wrongPIN(c *Customer, s *Session, d ReplyData) error {
	f.pinFailure = true
	c.PINFailures++
	c.UpdatedAt = f.now
	s.Attempts++
	if c.PINFailures >= f.r.MaxAttempts || s.Attempts >= f.r.MaxAttempts {
		until := f.now.Add(f.r.LockDuration)
		c.LockedUntil = &until
		if err := f.tx.UpdateCustomer(c); err != nil {
			return err
		}
		d.Until, d.Attempts = f.r.customerTime(until), c.PINFailures
		return f.resolve(s, StateLocked, ReplyLocked, d)
	}
	if err := f.tx.UpdateCustomer(c); err != nil {
		return err
	}
	if err := f.tx.SetSessionAttempts(s.ID, s.Attempts); err != nil {
		return err
	}
	d.Left = f.r.MaxAttempts - c.PINFailures
	return f.reply(f.r.PINCode, ReplyWrongPIN, d)
}

// resolve moves s to a final state and replies from the PIN short code.
func (f *flow) resolve(s *Session, state SessionState, reply string, d ReplyData) error {
	now := f.now
	s.State, s.ResolvedAt = state, &now
	if f.in.ShortCode == f.r.PINCode {
		s.PINMessage = f.in.ID
	}
	if err := f.tx.ResolveSession(s); err != nil {
		return err
	}
	if err := f.g.sessionResolved(f.tx, s, now); err != nil {
		return err
	}
	f.outcome = state
	from := f.r.PINCode
	if state == StateCancelled {
		from = f.r.RequestCode
	}
	return f.reply(from, reply, d)
}

func (f *flow) expire(s *Session) error {
	d := ReplyData{Account: s.Account.Local(), Amount: s.Amount.Grouped(), TTL: int(f.r.SessionTTL / time.Minute)}
	return f.resolve(s, StateExpired, ReplyExpired, d)
}

func (f *flow) cancel() error {
	s, err := f.tx.OpenSession(f.in.MSISDN)
	if ErrorCode(err) == ENotFound {
		return f.reply(f.r.RequestCode, ReplyNothingToCancel, ReplyData{})
	} else if err != nil {
		return err
	}
	f.session = s.ID
	d := ReplyData{Account: s.Account.Local(), Amount: s.Amount.Grouped()}
	return f.resolve(s, StateCancelled, ReplyCancelled, d)
}

func (f *flow) balance() error {
	c, ok, err := f.customer()
	if !ok || err != nil {
		return err
	}
	a, err := f.tx.Account(domain.WalletID(c.Account))
	if ErrorCode(err) == ENotFound {
		return f.reply(f.r.RequestCode, ReplyUnknownAccount, ReplyData{Account: c.Account.Local()})
	} else if err != nil {
		return err
	}
	return f.reply(f.r.RequestCode, ReplyBalance, ReplyData{Account: c.Account.Local(), Balance: a.Balance.Grouped()})
}

func (f *flow) history() error {
	c, ok, err := f.customer()
	if !ok || err != nil {
		return err
	}
	ts, err := f.tx.Transfers(domain.WalletID(c.Account), 5)
	if err != nil {
		return err
	}
	d := ReplyData{Account: c.Account.Local()}
	if len(ts) == 0 {
		return f.reply(f.r.RequestCode, ReplyHistoryEmpty, d)
	}
	for _, t := range ts {
		sign := "+"
		if t.From == domain.WalletID(c.Account) {
			sign = "-"
		}
		d.History = append(d.History, HistoryLine{Time: t.CreatedAt.In(f.r.Location).Format("02/01 15:04"), Sign: sign, Amount: t.Amount.Grouped(), Ref: t.Reference})
	}
	return f.reply(f.r.RequestCode, ReplyHistory, d)
}

func (f *flow) changePIN() error {
	f.keyword = "PIN"
	c, ok, err := f.customer()
	if !ok || err != nil {
		return err
	}
	sec, err := parseSecret(f.in.Secret)
	if err != nil || sec.kind != secretChangePIN {
		return f.reply(f.r.RequestCode, ReplyPINChangeFailed, ReplyData{})
	}
	c.UpdatedAt = f.now
	if sec.saltChanged(c.PINSalt) {
		// Another change or a reset came first: not counted as wrong.
		return f.reply(f.r.RequestCode, ReplyPINChangeFailed, ReplyData{})
	}
	if !Equal(sec.check, c.PINHash) {
		c.PINFailures++
		f.pinFailure = true
		if c.PINFailures >= f.r.MaxAttempts {
			until := f.now.Add(f.r.LockDuration)
			c.LockedUntil = &until
			if err := f.tx.UpdateCustomer(c); err != nil {
				return err
			}
			return f.reply(f.r.RequestCode, ReplyLocked, ReplyData{Attempts: c.PINFailures, Until: f.r.customerTime(until)})
		}
		if err := f.tx.UpdateCustomer(c); err != nil {
			return err
		}
		return f.reply(f.r.RequestCode, ReplyPINChangeFailed, ReplyData{})
	}
	c.PINSalt, c.PINHash, c.PINFailures = sec.newSalt, sec.newHash, 0
	if err := f.tx.UpdateCustomer(c); err != nil {
		return err
	}
	return f.reply(f.r.RequestCode, ReplyPINChanged, ReplyData{})
}

func requestHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
