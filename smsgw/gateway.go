package smsgw

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
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
	// Route is the route (operator) whose SMSC delivered the MO ("" when
	// it came over none); its replies leave through it (see Routes).
	Route string
	// Link identifies the transport connection that delivered the MO (for
	// SMPP, the bound session), unique across restarts.
	Link string
	// Track, when set, registers a function the transport calls exactly
	// once when it knows whether the peer read the MO's acknowledgement:
	// true when it provably did (it cannot deliver the MO again), false
	// when the link ended first (it may). A transport that cannot tell
	// leaves it nil: its MOs are never taken for redeliveries.
	Track func(fate func(confirmed bool))
	// AfterAck, when set, registers a function the transport calls once
	// it has queued the MO's acknowledgement (or given up on it), so that
	// a reply sent after that reaches the peer after the acknowledgement.
	// Without it a reply to an MO whose fate is tracked waits ackLead.
	AfterAck func(fn func())
}

// MT is one outbound message for the Sender.
type MT struct {
	ID   int64 // SMS log id
	From string
	To   domain.MSISDN
	// ToAddr is To as the network gave it when the MT answers an MO: the
	// sender address in the form it arrived (digits, TON and NPI). The
	// zero Address when the MT answers nothing (an expiry notice, a PIN
	// prompt for an outside request): then the transport addresses To.
	ToAddr      Address
	Text        string
	Channel     string
	USSDSession string
	// Route is the route the MT leaves through ("" for the default
	// route); a RoutedSender carries it there.
	Route string
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
	// BulkRate is how many bulk MTs (expiry notices) a second the outbox
	// sends at most, so that a mass of them leaves the SMSC window, the
	// store and the processors to the replies; 0 sends them as fast as
	// replies. Applies to a gateway alone on its store (sharing one, the
	// outbox claims its MTs a page at a time).
	BulkRate float64
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
	// CorrectionTTL is how long a requested correction of the ledger waits
	// for its checker (default DefaultCorrectionTTL).
	CorrectionTTL time.Duration
	// SharedStore says that other gateways (other daemons) use the same
	// store. The outbox then claims the MTs it sends (ClaimDueMTs), so that
	// each goes out once, through whichever gateway claims it. Alone on
	// its store a gateway reads them, and can send a queued MT even while
	// the store cannot be written.
	SharedStore bool
	// Node names this gateway among those sharing a store (default: the
	// host name). It must differ between the daemons that share one and
	// stay the same across restarts: a daemon that starts takes up the MT
	// claims its node left.
	Node string
	// Workers bounds how many senders' MOs are processed, and how many
	// numbers' MTs are sent, at the same time (default DefaultWorkers).
	// Concurrent transactions let the store commit them together; one
	// sender's MOs and one number's MTs always go one at a time, in order.
	Workers int
	// Routes routes the MTs that answer no MO (and replies to MOs that
	// came over no known route); nil leaves them without a route, for the
	// Sender's default.
	Routes   *Routes
	Now      func() time.Time
	Logger   *slog.Logger
	Observer Observer // optional
}

// Gateway runs the top-up flows. It is safe for concurrent use; inbox
// processing is sequential, so MOs of one MSISDN are handled in order.
type Gateway struct {
	store         Store
	node          string // this gateway among those sharing the store: its claims on MTs
	shared        bool   // Options.SharedStore
	sender        Sender
	hasher        *PINHasher
	dedupMACKey   []byte // keys the content de-duplication MAC
	settlement    domain.AccountID
	dedupWindow   time.Duration
	ackWait       time.Duration
	acks          *ackBook
	mtMax         int
	mtBase        time.Duration
	partTimeout   time.Duration
	maxPartMsgs   int
	correctionTTL time.Duration
	routes        *Routes
	now           func() time.Time
	log           *slog.Logger
	obs           Observer

	rules atomic.Pointer[Rules]
	hook  atomic.Pointer[hookBox] // SessionHook, see SetSessionHook

	refundable sync.Map // refundable transfer kinds (string), see AllowRefunds

	procMu  sync.Mutex          // serialises inbox processing
	workers int                 // senders processed (and MT destinations sent to) at once
	deferMO bool                // Options.DeferProcessing
	backlog backlog             // stored MOs not yet processed
	failMu  sync.Mutex          // guards moFails
	moFails map[int64]moFailure // inbox rows that failed, under failMu
	sendMu  sync.Mutex          // serialises outbox sending
	// bulkPace paces bulk MTs (Options.BulkRate); nil: not paced.
	bulkPace *pacer
	// expiring counts the ExpirePending calls running: the notices wait
	// for them (QueueExpiryNotices), which then take the writer alone.
	expiring atomic.Int32
	// expiryHookDue: the session hook's SessionsExpired has to run again
	// (it failed, or this gateway has not run it yet); see
	// QueueExpiryNotices. noticeFails: the sessions whose notice failed.
	expiryHookDue atomic.Bool
	noticeFails   failedNotices
	wakeIn        chan struct{}
	wakeMT        chan struct{}
	// wakeNotice tells the notice loop that sessions expired.
	wakeNotice chan struct{}
	held       replyHold // numbers whose MO's reply waits for the MO's acknowledgement

	stats Stats

	// unrecorded holds, under recMu, the acceptances (MT and SMSC ids)
	// the store failed to mark sent: each SendDue records them first, and
	// they are never sent again.
	recMu      sync.Mutex
	unrecorded map[int64]acceptance
}

// Stats are counters a metrics exporter can read.
type Stats struct {
	MOStored, MODuplicate, MOProcessed, MOFailed atomic.Int64
	MOThrottled                                  atomic.Int64 // refused while the backlog was full
	MTSent, MTRetried, MTFailed                  atomic.Int64
	Credited, CreditedAmount                     atomic.Int64
	WrongPIN, Locked, Expired, Cancelled         atomic.Int64
	ExpiryNotices                                atomic.Int64 // queued, after their sessions expired
}

// New returns a Gateway. It does no I/O.
func New(o Options) (*Gateway, error) {
	if o.Store == nil || o.Sender == nil || o.Hasher == nil {
		return nil, errors.New("smsgw: Store, Sender and Hasher are required")
	}
	g := &Gateway{
		store: o.Store, node: o.Node, shared: o.SharedStore, sender: o.Sender, hasher: o.Hasher,
		dedupMACKey:   o.Hasher.subkey("smsgw: MO de-duplication v1"),
		settlement:    o.Settlement,
		dedupWindow:   o.DedupWindow,
		ackWait:       o.AckWait,
		acks:          newAckBook(),
		mtMax:         o.MTMaxAttempts,
		mtBase:        o.MTRetryBase,
		bulkPace:      newPacer(o.BulkRate),
		partTimeout:   o.PartTimeout,
		maxPartMsgs:   o.MaxPartMessages,
		correctionTTL: o.CorrectionTTL,
		routes:        o.Routes,
		now:           o.Now,
		log:           o.Logger,
		obs:           o.Observer,
		moFails:       map[int64]moFailure{},
		wakeIn:        make(chan struct{}, 1),
		wakeMT:        make(chan struct{}, 1),
		wakeNotice:    make(chan struct{}, 1),
	}
	if g.settlement == "" {
		g.settlement = "settlement:bank"
	}
	if g.dedupWindow <= 0 {
		g.dedupWindow = 2 * time.Minute
	}
	if g.correctionTTL <= 0 {
		g.correctionTTL = DefaultCorrectionTTL
	}
	if g.node == "" {
		g.node = defaultNode()
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
// the SMSC read the acknowledgement. An MO whose sender has nothing waiting
// is processed in the transaction that stores it (its reply commits with
// it); otherwise, or when that processing fails, it waits in the inbox and
// is processed afterwards (Run or ProcessInbox).
func (g *Gateway) HandleMO(ctx context.Context, mo MO) error {
	if err := g.backlog.room(ctx); err != nil {
		if ErrorCode(err) == EBusy {
			g.stats.MOThrottled.Add(1)
		}
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
	received := *m
	// A reply processed with the MO must not leave before the MO's
	// acknowledgement (replyhold.go): hold the number until then.
	var hold domain.MSISDN
	if inline && track && mo.AfterAck != nil && !g.shared {
		hold = m.MSISDN
		g.held.add(hold)
	}
	defer func() {
		if hold != "" {
			g.held.done(hold)
		}
	}()
	store := func(tx Tx) error {
		// m afresh on every run: a run that does not commit (a retry, the
		// fallback below) has redacted and classified the m it stored.
		mm := received
		m, f = &mm, nil
		var (
			secret []byte
			err    error
		)
		// The sender's MOs are handled in order: this one is processed in
		// the transaction that stores it only when none of the sender's
		// waits in the inbox; otherwise it is queued behind them.
		queue := !inline
		if inline {
			n, err := tx.PendingMOCount(m.MSISDN)
			if err != nil {
				return err
			}
			queue = n > 0
		}
		if dup, secret, err = g.admit(tx, r, m, mo.ReceivedAt, track, &tk, queue); err != nil || dup || queue {
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
		g.report(f)
		if track {
			// The transport writes the acknowledgement once HandleMO
			// returns. The reply should leave after it: the SMSC's answer
			// to the reply then proves it read the acknowledgement (see
			// redelivery.go); a reply ahead of it proves nothing, and the
			// MO's fate waits for the transport's probe.
			if mo.AfterAck != nil {
				h := hold
				hold = "" // released by the transport's callback
				mo.AfterAck(func() {
					if h != "" {
						g.held.done(h)
					}
					g.wake(g.wakeMT)
				})
			} else {
				time.AfterFunc(ackLead, func() { g.wake(g.wakeMT) })
			}
		} else {
			g.wake(g.wakeMT)
		}
		return nil
	}
	g.backlog.add(1)
	g.wake(g.wakeIn)
	return nil
}

// ackLead is how long the reply to an MO processed as it was stored waits
// for the MO's acknowledgement to be written first, when the transport does
// not say when it has (MO.AfterAck).
const ackLead = 5 * time.Millisecond

// errProcessLater makes the storing transaction of an MO roll back when
// processing it there failed; the MO is then stored alone.
var errProcessLater = errors.New("process the MO from the inbox")

// processNow processes the MO m that tx has just stored without an inbox
// row (InsertMONow), in the same transaction: one transaction (and one
// commit) then holds the MO, its processing and its reply. A processing
// failure is logged and returned as errProcessLater.
func (g *Gateway) processNow(tx Tx, r *Rules, m *Message, secret []byte) (*flow, error) {
	in := InboundMO{Message: *m, Secret: secret}
	f, err := g.processIn(tx, r, in, nil)
	if errors.Is(err, ErrTxConflict) {
		return nil, err // the store runs the whole transaction again
	}
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
		Route:       mo.Route,
	}
	if mo.SMSCID != "" {
		m.SMSCIDs = []string{mo.SMSCID}
		m.Link = "" // an SMSC id identifies the message whatever the link
	}
	return m
}

// storeMO classifies m once (Rules.Classify) and stores it in tx with its
// request, its redacted text and the verifiers of the PINs it carries.
func (g *Gateway) storeMO(tx Tx, r *Rules, m *Message, queue bool) ([]byte, error) {
	in := r.Classify(m.ShortCode, m.Text)
	sec, err := g.secretOf(tx, m.MSISDN, in)
	if err != nil {
		return nil, err
	}
	m.Keyword, m.Text, m.Request = in.Keyword, in.Text, in.Request.Encode()
	if !queue {
		return sec, tx.InsertMONow(m)
	}
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

// Run processes the inbox, sends the outbox and queues the expiry notices
// (QueueExpiryNotices) until ctx is done. It picks up work left by a
// previous run (a crash between storing and processing, or between an
// expiry and its notices).
func (g *Gateway) Run(ctx context.Context, poll time.Duration) error {
	if poll <= 0 {
		poll = time.Second
	}
	if g.shared {
		// Claims this node left when it last stopped (killed, say) would
		// hold its MTs back until they end: this node takes them up again.
		if err := g.store.Update(ctx, func(tx Tx) error { return tx.ReleaseMTs(g.node, nil) }); err != nil {
			g.log.Warn("releasing the MT claims of this node's last run failed; they wait for their claims to end", "node", g.node, "err", err)
		}
	}
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); g.loop(ctx, poll, g.wakeIn, g.ProcessInbox) }()
	go func() { defer wg.Done(); g.loop(ctx, poll, g.wakeMT, g.SendDue) }()
	go func() { defer wg.Done(); g.loop(ctx, poll, g.wakeNotice, g.QueueExpiryNotices) }()
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

// defaultNode is the default of Options.Node: the host name.
func defaultNode() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "smsgw"
	}
	return host
}
