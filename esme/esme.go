// Package esme is the gateway's SMPP identity: it turns deliver_sm and
// data_sm into smsgw.MO (reassembling concatenated texts) or delivery
// receipts, decides when an MO is acknowledged (only after the gateway has
// stored it durably), and implements smsgw.Sender with submit_sm over one or
// more binds.
//
// It imports smsgw and the SMPP stack, never the store or HTTP. ESME is safe
// for concurrent use.
package esme

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/dlr"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
)

// Gateway is what the ESME needs of the domain.
type Gateway interface {
	HandleMO(ctx context.Context, mo smsgw.MO) error
	HandleReceipt(ctx context.Context, r smsgw.Receipt) error
}

// BindOptions configure one bind.
type BindOptions struct {
	Name string
	// Route is the route (operator) the bind belongs to; "" is
	// DefaultRoute. MOs record the route of the bind they came on, and
	// an MT leaves through a bind of its route.
	Route  string
	Client smpp.ClientOptions // Handler and NoBindWait are set by the ESME
	// Text settings of this SMSC (what data_coding 0 means, packing).
	Text text.Options
	// Concat is how long MTs are split: UDH 8/16-bit reference, sar_* TLVs
	// or one message_payload.
	Concat text.Concat
	// IDMode says how receipt ids relate to submit_sm_resp ids.
	IDMode             dlr.IDMode
	RegisteredDelivery bool
	SourceTON          uint8
	SourceNPI          uint8
	// DestTON and DestNPI address MTs that answer no MO (and every MT
	// with NormalizeReplies), to the canonical international number.
	DestTON uint8
	DestNPI uint8
	// NormalizeReplies addresses replies too to the canonical
	// international number with DestTON/DestNPI. By default a reply goes
	// to the sender address exactly as the MO brought it (digits, TON,
	// NPI): an SMSC that routes by the original address delivers only
	// that.
	NormalizeReplies bool
	// USSD is how this SMSC marks USSD (default USSDServiceOp).
	USSD USSDMode
}

// Options configure the ESME.
type Options struct {
	Binds []BindOptions
	// Routes set the limits and fallbacks of the routes the binds name
	// (a route left out has neither). DefaultRoute carries the MTs
	// without a route, or with one no bind serves; it may be empty when
	// the binds form one route. Balance spreads a route's MTs over its
	// binds (default BalanceRoundRobin).
	Routes       []RouteOptions
	DefaultRoute string
	Balance      Balance
	// Traffic, when set, counts the MOs and MTs of each route and bind.
	Traffic TrafficObserver
	Logger  *slog.Logger
	Now     func() time.Time
	// Reassembly bounds concatenated MOs held in memory, for a Gateway
	// that is no PartGateway; its MaxParts applies to every concatenated
	// MO (a PartGateway has its own timeout and pending limit).
	Reassembly text.ReassemblerOptions
	// ReceiptRetry is how long an unmatched receipt is retried (a receipt
	// may overtake the submit response being recorded); default 30s.
	ReceiptRetry time.Duration
	// USSDLifetime is how long a USSD network session is kept without a
	// message (default DefaultUSSDLifetime); USSDTimeout bounds the
	// gateway's answer to one screen (default 5s).
	USSDLifetime time.Duration
	USSDTimeout  time.Duration
	// USSDObserver, when set, counts the USSD screens answered (channel
	// "smpp"); metrics.Metrics implements it.
	USSDObserver USSDObserver
}

// ESME runs the binds.
type ESME struct {
	gw      Gateway // set by Run
	binds   []*bind
	routes  map[string]*route
	order   []string // route names, in the order of their first binds
	def     string   // the default route
	balance Balance
	traffic TrafficObserver
	log     *slog.Logger
	now     func() time.Time
	reasm   *text.Reassembler
	maxPts  int // largest total of a concatenated MO accepted
	retry   time.Duration
	ref     atomic.Uint32
	locks   keyedMutex
	wg      sync.WaitGroup
	closed  chan struct{}
	nonce   string // distinguishes this process's SMPP sessions from a previous run's

	ussdSess    ussdSessions
	ussdTimeout time.Duration
	ussdObs     USSDObserver
}

func newNonce() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type bind struct {
	BindOptions
	client *smpp.Client
	route  *route
	mo, mt minuteCounter // received and sent in the last minute
}

// New builds the ESME and its SMPP clients. It does no I/O. The ESME can
// be handed to the gateway as its smsgw.Sender before it runs; Run names
// the Gateway that MOs and receipts go to.
func New(o Options) (*ESME, error) {
	if len(o.Binds) == 0 {
		return nil, errors.New("esme: no binds")
	}
	e := &ESME{log: o.Logger, now: o.Now, retry: o.ReceiptRetry, closed: make(chan struct{}), nonce: newNonce(),
		ussdSess: ussdSessions{lifetime: o.USSDLifetime}, ussdTimeout: o.USSDTimeout, ussdObs: o.USSDObserver, traffic: o.Traffic}
	if e.ussdSess.lifetime <= 0 {
		e.ussdSess.lifetime = DefaultUSSDLifetime
	}
	if e.ussdTimeout <= 0 {
		e.ussdTimeout = 5 * time.Second
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	base := e.log
	e.log = base.With("component", "esme")
	if e.now == nil {
		e.now = time.Now
	}
	if e.retry <= 0 {
		e.retry = 30 * time.Second
	}
	e.reasm = text.NewReassembler(o.Reassembly)
	e.maxPts = o.Reassembly.MaxParts
	if e.maxPts <= 0 || e.maxPts > text.MaxParts {
		e.maxPts = text.MaxParts
	}
	limiters, err := routeLimiters(o.Routes)
	if err != nil {
		return nil, err
	}
	for _, bo := range o.Binds {
		b := &bind{BindOptions: bo}
		co := bo.Client
		co.SharedLimiter = limiters[routeName(bo.Route)]
		co.Handler = smpp.HandlerFunc(func(ctx context.Context, p pdu.PDU) error { return e.handle(ctx, b, p) })
		// A submit never waits for a bind that is down: Send takes another.
		co.NoBindWait = true
		if co.Logger == nil {
			co.Logger = base.With("bind", bo.Name)
		}
		c, err := smpp.NewClient(co)
		if err != nil {
			return nil, fmt.Errorf("esme: bind %q: %w", bo.Name, err)
		}
		b.client = c
		e.binds = append(e.binds, b)
	}
	if err := e.buildRoutes(o, limiters); err != nil {
		return nil, err
	}
	return e, nil
}

// Run keeps every bind up until ctx is done, then unbinds gracefully.
// Inbound MOs and delivery receipts are handed to gw. Run is called once.
func (e *ESME) Run(ctx context.Context, gw Gateway) error {
	if gw == nil {
		return errors.New("esme: Run needs a Gateway")
	}
	// Set before the clients start, so their handlers see it.
	e.gw = gw
	var wg sync.WaitGroup
	errs := make([]error, len(e.binds))
	for i, b := range e.binds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.client.Run(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				for _, x := range e.reasm.Expire(e.now()) {
					e.log.Warn("incomplete concatenated MO dropped", "msisdn", maskAddr(x.Key.Source), "parts", x.Received)
				}
			}
		}
	}()
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

// BindStatus is the state of one bind for health checks and the console.
type BindStatus struct {
	Name  string
	Route string // the route (operator) it belongs to
	// Bound is true when the bind can carry traffic: bound and not
	// suspended.
	Bound bool
	// Suspended is true while the bind is suspended by an operator
	// (Suspend), including while its unbind is under way.
	Suspended bool
	// Window is the configured window; InUse the submits waiting for
	// their response now.
	Window, InUse int
	// Throttled is true while its submits wait: paused after the SMSC
	// throttled them, or held by the bind's rate limit.
	Throttled bool
	// ThrottledTotal counts the SMSC's throttle answers since start.
	ThrottledTotal uint64
	// MOPerMinute and MTPerMinute count the MOs received and MTs sent
	// over the bind in the last minute.
	MOPerMinute, MTPerMinute int
}

// Status lists the binds with their route, state and load.
func (e *ESME) Status() []BindStatus {
	now := time.Now()
	out := make([]BindStatus, len(e.binds))
	for i, b := range e.binds {
		susp := b.client.Suspended()
		out[i] = BindStatus{Name: b.Name, Route: b.route.name, Bound: b.client.Bound() && !susp, Suspended: susp,
			Window: b.Client.Window, InUse: b.client.Pending(), Throttled: b.client.Throttled(),
			ThrottledTotal: b.client.Stats().Throttled, MOPerMinute: b.mo.count(now), MTPerMinute: b.mt.count(now)}
	}
	return out
}

// ErrUnknownBind is returned by Suspend and Resume for a name that is not
// a configured bind.
var ErrUnknownBind = errors.New("esme: unknown bind")

// Suspend takes the named bind down gracefully and keeps it down until
// Resume: no reconnection attempts, and MTs go out through another bound
// bind of its route (or the route's fallback) or wait in the outbox. It returns before the unbind has finished;
// Status reports the bind as suspended (and not bound) at once. Suspending
// a suspended bind does nothing.
func (e *ESME) Suspend(name string) error {
	b, err := e.bindNamed(name)
	if err != nil {
		return err
	}
	if err := b.client.Suspend(); err != nil {
		return fmt.Errorf("esme: suspend bind %q: %w", name, err)
	}
	e.log.Info("bind suspended", "bind", name)
	return nil
}

// Resume brings a suspended bind back: it dials and binds again at once.
// Resuming a bind that is not suspended does nothing.
func (e *ESME) Resume(name string) error {
	b, err := e.bindNamed(name)
	if err != nil {
		return err
	}
	if err := b.client.Resume(); err != nil {
		return fmt.Errorf("esme: resume bind %q: %w", name, err)
	}
	e.log.Info("bind resumed", "bind", name)
	return nil
}

func (e *ESME) bindNamed(name string) (*bind, error) {
	for _, b := range e.binds {
		if b.Name == name {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownBind, name)
}

// Clients returns the SMPP clients, for metrics.
func (e *ESME) Clients() map[string]*smpp.Client {
	m := make(map[string]*smpp.Client, len(e.binds))
	for _, b := range e.binds {
		m[b.Name] = b.client
	}
	return m
}

// handle is the smpp.Handler of bind b: its error becomes the resp status.
func (e *ESME) handle(ctx context.Context, b *bind, p pdu.PDU) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("panic handling PDU", "bind", b.Name, "panic", r)
			err = pdu.StatusXTAppn
		}
	}()
	switch m := p.(type) {
	case *pdu.DeliverSM:
		if m.ESMClass.IsReceipt() {
			if r, ok := dlr.FromDeliverSM(m); ok {
				return e.receipt(ctx, b, r)
			}
			return nil
		}
		return e.mo(ctx, b, moFields{
			source: m.SourceAddr, sourceTON: m.SourceAddrTON, sourceNPI: m.SourceAddrNPI,
			dest: m.DestinationAddr, esm: m.ESMClass, dcs: m.DataCoding,
			sm: m.ShortMessage, tlvs: m.TLVs, serviceType: m.ServiceType,
		})
	case *pdu.DataSM:
		if m.ESMClass.IsReceipt() {
			if r, ok := dlr.FromDataSM(m); ok {
				return e.receipt(ctx, b, r)
			}
			return nil
		}
		return e.mo(ctx, b, moFields{
			source: m.SourceAddr, sourceTON: m.SourceAddrTON, sourceNPI: m.SourceAddrNPI,
			dest: m.DestinationAddr, esm: m.ESMClass, dcs: m.DataCoding,
			tlvs: m.TLVs, serviceType: m.ServiceType, dataSM: true,
		})
	default:
		return pdu.StatusInvCmdID
	}
}

type moFields struct {
	source, dest, serviceType string
	sourceTON, sourceNPI      uint8
	esm                       pdu.ESMClass
	dcs                       uint8
	sm                        []byte
	tlvs                      pdu.TLVs
	dataSM                    bool // it came as data_sm (a USSD answer goes back as one)
}

// mo decodes, reassembles and hands an MO to the gateway. A nil return
// acknowledges it: only after HandleMO has stored it, or HandleMOPart its
// part (in memory only when the gateway is no PartGateway). A storage
// failure returns ESME_RX_T_APPN so the SMSC redelivers; de-duplication
// makes that safe.
func (e *ESME) mo(ctx context.Context, b *bind, f moFields) error {
	ud := f.sm
	if payload, ok := f.tlvs.Get(pdu.TagMessagePayload); ok && (len(ud) == 0 || len(payload) > 0) {
		if len(ud) > 0 {
			e.log.Warn("MO carries both short_message and message_payload; using message_payload", "bind", b.Name)
		}
		ud = payload
	}
	var (
		ref        uint16
		total, seq uint8
		concat     bool
		alphabet   = b.Text.AlphabetOf(f.dcs)
		packedGSM7 = b.Text.Packed && alphabet == text.GSM7
		udhLen     int
	)
	whole := ud
	if f.esm.UDHI() {
		h, rest, err := text.ParseUDH(ud)
		if err != nil {
			e.log.Warn("MO with malformed UDH rejected", "bind", b.Name, "msisdn", maskAddr(f.source))
			return pdu.StatusXRAppn
		}
		udhLen = len(ud) - len(rest)
		ref, total, seq, concat = h.Concat()
		ud = rest
	} else if r, ok := f.tlvs.Uint16(pdu.TagSarMsgRefNum); ok {
		t, ok1 := f.tlvs.Uint8(pdu.TagSarTotalSegments)
		s, ok2 := f.tlvs.Uint8(pdu.TagSarSegmentSeqnum)
		if ok1 && ok2 {
			ref, total, seq, concat = r, t, s, true
		}
	}
	if packedGSM7 {
		// Packed septets after a UDH start at the next septet boundary.
		ud = b.Text.UnpackUserData(whole, udhLen)
	}
	dcs := f.dcs
	decodeOpts := b.Text
	decodeOpts.Packed = false // already unpacked
	if concat && total > 1 {
		if pg, ok := e.gw.(PartGateway); ok {
			return e.part(ctx, pg, b, f, ref, total, seq, ud)
		}
		full, done, err := e.reasm.Add(e.now(), text.Key{Source: f.source, Dest: f.dest}, ref, total, seq, dcs, ud)
		if err != nil {
			e.log.Warn("concatenated MO part rejected", "bind", b.Name, "msisdn", maskAddr(f.source), "err", err)
			return pdu.StatusXRAppn
		}
		if !done {
			return nil
		}
		ud = full
	}
	msg, err := text.Decode(dcs, ud, decodeOpts)
	if err != nil {
		e.log.Warn("MO text not decodable; storing replacement", "bind", b.Name, "msisdn", maskAddr(f.source), "data_coding", dcs, "err", err)
	}
	if ug, ok := e.gw.(USSDGateway); ok {
		if op, isUSSD := b.ussdOp(f, msg); isUSSD {
			unlock := e.locks.lock(f.source)
			defer unlock()
			return e.ussd(ctx, b, ug, f, op, msg)
		}
	}
	mo := smsgw.MO{From: f.source, FromTON: f.sourceTON, FromNPI: f.sourceNPI, To: f.dest, Text: msg, Channel: smsgw.ChannelSMS, ReceivedAt: e.now(),
		Link: e.link(ctx, b), Route: b.route.name}
	mo.Track = e.tracker(ctx, mo.Link)
	if mo.Track != nil {
		mo.AfterAck = func(fn func()) { smpp.AfterResponse(ctx, fn) }
	}
	if op, ok := f.tlvs.Uint8(pdu.TagUSSDServiceOp); ok || f.serviceType == "USSD" {
		mo.Channel = smsgw.ChannelUSSD
		_ = op
		if v, ok := f.tlvs.Get(pdu.TagITSSessionInfo); ok && len(v) >= 1 {
			mo.USSDSession = strconv.Itoa(int(v[0]))
		}
	}
	unlock := e.locks.lock(f.source)
	defer unlock()
	if err := e.gw.HandleMO(ctx, mo); err != nil {
		if smsgw.ErrorCode(err) == smsgw.EBusy {
			// Processing is behind: the SMSC keeps the MO and retries.
			e.log.Warn("MO refused while the backlog is full; the SMSC will retry", "bind", b.Name, "msisdn", maskAddr(f.source))
			return pdu.StatusThrottled
		}
		e.log.Error("MO not stored; asking the SMSC to redeliver", "bind", b.Name, "msisdn", maskAddr(f.source), "err", err)
		return pdu.StatusXTAppn
	}
	e.count(b, "mo")
	return nil
}

// count records an MO received ("mo") or an MT sent ("mt") over b.
func (e *ESME) count(b *bind, dir string) {
	c := &b.mo
	if dir == "mt" {
		c = &b.mt
	}
	c.add(time.Now())
	if e.traffic != nil {
		e.traffic.Traffic(b.route.name, b.Name, dir)
	}
}

// receipt applies a delivery receipt. Unmatched receipts are retried in the
// background for a while (the submit response may not be recorded yet) and
// acknowledged, or the SMSC would redeliver them forever; a receipt the
// store failed to record is refused with ESME_RX_T_APPN so that the SMSC
// delivers it again.
func (e *ESME) receipt(ctx context.Context, b *bind, r dlr.Receipt) error {
	state := smsgw.MsgUndeliv
	switch r.State.Outcome() {
	case dlr.OutcomeDelivered:
		state = smsgw.MsgDelivered
	case dlr.OutcomePending:
		state = r.State.String()
	}
	rec := smsgw.Receipt{State: state, Error: r.Err, At: e.now()}
	keys := dlr.ReceiptKeys(r.ID, b.IDMode)
	for i, k := range keys {
		keys[i] = e.qualify(b.route, k) // the MT went out through this bind's route
	}
	// record tries each key the MT's id may be stored under.
	record := func(ctx context.Context) (err error) {
		for _, k := range keys {
			rec.SMSCID = k
			if err = e.gw.HandleReceipt(ctx, rec); smsgw.ErrorCode(err) != smsgw.ENotFound {
				return err
			}
		}
		return err
	}
	err := record(ctx)
	if err == nil {
		return nil
	}
	if smsgw.ErrorCode(err) != smsgw.ENotFound {
		e.log.Error("receipt not recorded; asking the SMSC to redeliver", "bind", b.Name, "err", err)
		return pdu.StatusXTAppn
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		deadline := time.Now().Add(e.retry)
		for delay := 100 * time.Millisecond; time.Now().Before(deadline); delay *= 2 {
			closing := false
			select {
			case <-time.After(delay):
			case <-e.closed:
				// Shutting down: the sender has recorded its last ids by
				// now, so one final attempt settles most receipts.
				closing = true
			}
			if err := record(context.WithoutCancel(ctx)); smsgw.ErrorCode(err) != smsgw.ENotFound || closing {
				return
			}
		}
		e.log.Warn("receipt matches no MT", "bind", b.Name, "smsc_id", r.ID)
	}()
	return nil
}

// Close makes a last attempt at unmatched receipts and stops their retries.
// Call it after the gateway's sender has stopped.
func (e *ESME) Close() {
	select {
	case <-e.closed:
	default:
		close(e.closed)
	}
	e.wg.Wait()
}

// Send implements smsgw.Sender: it takes a bind of the MT's route (its
// fallback's when none of its own is up), splits the text per the bind's
// settings and submits every part, returning the normalised SMSC message
// ids (qualified with the route when there are several: see qualify).
// When no bind can carry the MT it returns an error matching
// smsgw.ErrRouteDown: the MT waits in the outbox.
func (e *ESME) Send(ctx context.Context, m smsgw.MT) ([]string, error) {
	r := e.routeOf(m.Route)
	var skip []*bind
	for {
		b := e.pick(r, skip...)
		if b == nil {
			return nil, routeDownError{route: r.name}
		}
		ids, err := e.sendOn(ctx, b, m)
		if len(ids) == 0 && (errors.Is(err, smpp.ErrSuspended) || errors.Is(err, smpp.ErrNotBound)) {
			// Suspended or down between pick and submit: nothing was
			// sent, so another bind may carry it.
			skip = append(skip, b)
			continue
		}
		if err == nil {
			e.count(b, "mt")
		}
		return ids, err
	}
}

// sendOn sends m through bind b.
func (e *ESME) sendOn(ctx context.Context, b *bind, m smsgw.MT) ([]string, error) {
	ref := uint16(e.ref.Add(1))
	if b.Concat == text.ConcatUDH8 {
		ref &= 0xFF // the 8-bit reference wraps after 255
	}
	msg, err := text.Split(m.Text, text.SplitOptions{Options: b.Text, Concat: b.Concat, Ref: ref})
	if err != nil {
		return nil, permanentError{fmt.Errorf("split MT %d: %w", m.ID, err)}
	}
	ids := make([]string, 0, len(msg.Parts))
	for _, part := range msg.Parts {
		sm := &pdu.SubmitSM{}
		sm.SourceAddrTON, sm.SourceAddrNPI, sm.SourceAddr = b.SourceTON, b.SourceNPI, m.From
		sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = b.DestTON, b.DestNPI, string(m.To)
		if m.ToAddr.Value != "" && !b.NormalizeReplies {
			sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = m.ToAddr.TON, m.ToAddr.NPI, m.ToAddr.Value
		}
		sm.DataCoding = msg.DataCoding
		if b.RegisteredDelivery {
			sm.RegisteredDelivery = 1
		}
		switch {
		case b.Concat == text.ConcatPayload:
			sm.TLVs.Set(pdu.TagMessagePayload, part.ShortMessage())
		case part.UDHI():
			sm.ESMClass |= pdu.ESMUDHI
			sm.ShortMessage = part.ShortMessage()
		default:
			sm.ShortMessage = part.Data
			if part.Total > 1 {
				sm.TLVs.SetUint16(pdu.TagSarMsgRefNum, part.Ref)
				sm.TLVs.SetUint8(pdu.TagSarTotalSegments, part.Total)
				sm.TLVs.SetUint8(pdu.TagSarSegmentSeqnum, part.Seq)
			}
		}
		if m.Channel == smsgw.ChannelUSSD {
			sm.ServiceType = "USSD"
			if n, err := strconv.Atoi(m.USSDSession); err == nil {
				sm.TLVs.SetUint8(pdu.TagUSSDServiceOp, pdu.USSDOpPSSRResponse) // the final answer in its session
				sm.TLVs.Set(pdu.TagITSSessionInfo, []byte{byte(n), 1})
			} else {
				sm.TLVs.SetUint8(pdu.TagUSSDServiceOp, pdu.USSDOpUSSNRequest) // a notice outside any session
			}
		}
		resp, err := b.client.Submit(ctx, sm)
		if err != nil {
			var st pdu.Status
			if errors.As(err, &st) && !st.Temporary() {
				return ids, permanentError{fmt.Errorf("submit MT %d part %d/%d: %w", m.ID, part.Seq, len(msg.Parts), err)}
			}
			// Everything else (the link dropped, an unknown outcome, a
			// temporary status) is worth another try. Said explicitly: an
			// error deeper in the chain may call itself permanent (a
			// *net.OpError for a reset connection reports Temporary false).
			return ids, retryError{fmt.Errorf("submit MT %d part %d/%d: %w", m.ID, part.Seq, len(msg.Parts), err)}
		}
		ids = append(ids, e.qualify(b.route, dlr.NormalizeID(resp.MessageID, b.IDMode)))
	}
	return ids, nil
}

type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() error   { return e.err }
func (e permanentError) Temporary() bool { return false }

// retryError marks a send failure the outbox should retry.
type retryError struct{ err error }

func (e retryError) Error() string   { return e.err.Error() }
func (e retryError) Unwrap() error   { return e.err }
func (e retryError) Temporary() bool { return true }

// maskAddr hides the middle of an address for logs.
func maskAddr(s string) string { return domain.MSISDN(s).LogValue().String() }

// keyedMutex serialises work per key (MSISDN) so MOs of one sender are
// stored in the order they were received.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyedEntry)
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
