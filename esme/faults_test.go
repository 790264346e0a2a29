package esme_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite"
)

// The fault tests run complete top-ups (IM2PAY to 9779, PIN prompt from
// 3355, PIN reply, result SMS) through the daemon's own wiring: a
// smsgw.Gateway on an SQLite file with its inbox and outbox loops
// (Gateway.Run), and an ESME bound to an smpptest SMSC. A fault is injected
// in the middle of the run and cleared; then every flow must have completed
// exactly once (checkFlows). The SMSC side behaves like a real one: an MO
// that did not get deliver_sm_resp ESME_ROK (temporary error, link down,
// connection lost before the answer) is delivered again until it does.
//
// Every flow has its own MSISDN, so no two MOs of a test share sender,
// short code and text: the tests do not depend on how a repeated text is
// told from a redelivery, except where an MO really is redelivered after
// its link died (the redelivery must then count once).

const (
	// flowDeadline bounds a whole run of flows, for a loaded CI machine.
	flowDeadline = 90 * time.Second
	// redeliverEvery is the SMSC's retry interval for an MO that was not
	// acknowledged.
	redeliverEvery = 25 * time.Millisecond
	// topUp is the amount every flow tops up.
	topUp = 50000
	// Markers of the two replies of a flow.
	promptMarker = "Balas SMS ini dengan PIN"
	resultMarker = "BERHASIL"
)

// rigOptions adjust a faultRig.
type rigOptions struct {
	bind func(*esme.BindOptions) // the bind's options, after bindTo
	busy time.Duration           // the store's busy timeout (default the store's)
	// capture arms the capture of the store's writer connection
	// (storage faults; see writerConn).
	capture bool
}

// faultRig is the gateway wiring under test plus the SMSC's view of it.
type faultRig struct {
	t    *testing.T
	path string
	srv  atomic.Pointer[smpptest.Server] // the SMSC now running
	db   *sqlite.Store
	gw   *smsgw.Gateway
	e    *esme.ESME
	logs *smsgwtest.LogBuffer // the gateway's log
	mts  mtLog                // every submit_sm any SMSC of the rig accepted
	conn *writerConn          // the store's writer connection, when captured

	mu       sync.Mutex
	acked    map[string]map[string]int // MOs answered ESME_ROK: sender → short code + text → count
	statuses map[pdu.Status]int        // deliver_sm_resp statuses seen
	lost     int                       // deliveries without an answer (link down or lost)
}

func newFaultRig(t *testing.T, o rigOptions) *faultRig {
	t.Helper()
	r := &faultRig{t: t, path: filepath.Join(t.TempDir(), "gw.db"), logs: &smsgwtest.LogBuffer{},
		acked: map[string]map[string]int{}, statuses: map[pdu.Status]int{}}
	srv := r.startSMSC("")
	if o.capture {
		r.conn = captureWriter(t, r.path)
	}
	st, err := sqlite.Open(t.Context(), r.path, sqlite.Options{BusyTimeout: o.busy, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if o.capture {
		r.conn.wait(t)
	}
	t.Cleanup(func() { st.Close() })
	r.db = st
	sender := &lateSender{}
	r.gw = smsgwtest.New(t, st, smsgwtest.WithSender(sender), smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithLogger(smsgwtest.NewLogger(r.logs)), smsgwtest.WithOptions(func(o *smsgw.Options) {
			// Retry MTs soon and for long: a fault may last a few seconds.
			o.MTRetryBase = 20 * time.Millisecond
			o.MTMaxAttempts = 100
		}))
	if err := r.gw.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	b := bindTo(srv, "a")
	if o.bind != nil {
		o.bind(&b)
	}
	r.e, _ = runESME(t, srv, r.gw, esme.Options{Binds: []esme.BindOptions{b}})
	sender.e.Store(r.e)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.gw.Run(ctx, 20*time.Millisecond)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("gateway log:\n%s", r.logs.String())
		}
	})
	return r
}

// startSMSC starts an SMSC that records into the rig, on addr ("" for a
// free port), and makes it the one the rig delivers through.
func (r *faultRig) startSMSC(addr string) *smpptest.Server {
	r.t.Helper()
	srv := smpptest.NewUnstartedServer()
	srv.OnSubmit = r.mts.add
	if addr != "" {
		var ln net.Listener
		waitFor(r.t, "the SMSC's address to be free again", 10*time.Second, func() bool {
			var err error
			ln, err = net.Listen("tcp", addr)
			return err == nil
		})
		srv.Listener = ln
	}
	srv.Start()
	r.t.Cleanup(srv.Close)
	r.srv.Store(srv)
	return srv
}

// client returns the SMPP client of the rig's bind.
func (r *faultRig) client() *smpp.Client { return r.e.Clients()["a"] }

// payer is a registered customer whose flow tops up its own wallet.
type payer struct {
	msisdn string // as the customer types it
	canon  string // as the gateway stores it
	pin    string
}

// addPayers registers n payers with MSISDNs from base on.
func (r *faultRig) addPayers(base, n int) []payer {
	r.t.Helper()
	ps := make([]payer, n)
	for i := range ps {
		p := payer{msisdn: fmt.Sprintf("0812%07d", base+i), pin: fmt.Sprintf("%06d", 246800+base+i)}
		canon, err := keywords.NormalizeMSISDN(p.msisdn)
		if err != nil {
			r.t.Fatal(err)
		}
		p.canon = string(canon)
		if err := r.gw.AddCustomer(r.t.Context(), p.msisdn, p.msisdn, "Payer", domain.PIN(p.pin)); err != nil {
			r.t.Fatal(err)
		}
		ps[i] = p
	}
	return ps
}

// startFlows runs the top-up of every payer concurrently; wait blocks until
// all are done (each failure is reported as a test error).
func (r *faultRig) startFlows(ps []payer) (wait func()) {
	ctx, cancel := context.WithTimeout(context.Background(), flowDeadline)
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() {
			if err := r.flow(ctx, p); err != nil {
				r.t.Errorf("flow of %s: %v", p.msisdn, err)
			}
		})
	}
	return func() {
		wg.Wait()
		cancel()
	}
}

// flow plays one customer: the request, the PIN once prompted, and waits
// for the result.
func (r *faultRig) flow(ctx context.Context, p payer) error {
	if err := r.deliverUntilOK(ctx, p.msisdn, request, fmt.Sprintf("IM2PAY %s %d", p.msisdn, topUp)); err != nil {
		return err
	}
	if err := r.mts.wait(ctx, p.canon, promptMarker); err != nil {
		return fmt.Errorf("PIN prompt: %w", err)
	}
	if err := r.deliverUntilOK(ctx, p.msisdn, pinCode, p.pin); err != nil {
		return err
	}
	if err := r.mts.wait(ctx, p.canon, resultMarker); err != nil {
		return fmt.Errorf("result SMS: %w", err)
	}
	return nil
}

// deliverOnce delivers one MO through the SMSC now running and records the
// answer.
func (r *faultRig) deliverOnce(ctx context.Context, from, to, body string) (pdu.Status, error) {
	srv := r.srv.Load()
	ds, err := srv.TextPDUs(from, to, body, nil)
	if err != nil {
		return 0, err
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	st, err := srv.Deliver(dctx, ds[0])
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err != nil:
		r.lost++
	case st == pdu.StatusOK:
		r.statuses[st]++
		if r.acked[from] == nil {
			r.acked[from] = map[string]int{}
		}
		r.acked[from][to+" "+body]++
	default:
		r.statuses[st]++
	}
	return st, err
}

// deliverUntilOK delivers an MO again and again, as an SMSC does, until the
// ESME answers ESME_ROK.
func (r *faultRig) deliverUntilOK(ctx context.Context, from, to, body string) error {
	for {
		st, err := r.deliverOnce(ctx, from, to, body)
		if err == nil && st == pdu.StatusOK {
			return nil
		}
		if err == nil && !st.Temporary() && st != pdu.StatusXTAppn {
			return fmt.Errorf("MO to %s refused for good: %v", to, st)
		}
		t := time.NewTimer(redeliverEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("MO to %s never acknowledged (last: %v, %v): %w", to, st, err, ctx.Err())
		case <-t.C:
		}
	}
}

// status returns how many deliver_sm_resp carried st.
func (r *faultRig) status(st pdu.Status) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statuses[st]
}

// sentMT is a submit_sm as an SMSC recorded it.
type sentMT struct{ from, to, text string }

// mtLog collects the submissions of every SMSC of a rig (they survive an
// SMSC restart) and wakes waiters on each.
type mtLog struct {
	mu      sync.Mutex
	mts     []sentMT
	changed chan struct{}
}

func (l *mtLog) add(s smpptest.Submission) {
	txt, _ := s.Text()
	l.mu.Lock()
	defer l.mu.Unlock()
	to := s.Destination() // a reply goes to the sender address as it came
	if n, err := keywords.NormalizeMSISDN(to); err == nil {
		to = string(n)
	}
	l.mts = append(l.mts, sentMT{from: s.Source(), to: to, text: txt})
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

func (l *mtLog) all() []sentMT {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.mts)
}

// count returns how many MTs to msisdn contain marker.
func (l *mtLog) count(to, marker string) int {
	n := 0
	for _, m := range l.all() {
		if m.to == to && strings.Contains(m.text, marker) {
			n++
		}
	}
	return n
}

// waitFunc waits until cond holds over the MTs recorded so far.
func (l *mtLog) waitFunc(ctx context.Context, cond func([]sentMT) bool) error {
	for {
		l.mu.Lock()
		if cond(l.mts) {
			l.mu.Unlock()
			return nil
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// wait waits for an MT to msisdn that contains marker.
func (l *mtLog) wait(ctx context.Context, to, marker string) error {
	return l.waitFunc(ctx, func(ms []sentMT) bool {
		return slices.ContainsFunc(ms, func(m sentMT) bool { return m.to == to && strings.Contains(m.text, marker) })
	})
}

// waitPrompts waits until n payers have got their PIN prompt: the run is
// under way.
func (r *faultRig) waitPrompts(n int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), flowDeadline)
	defer cancel()
	err := r.mts.waitFunc(ctx, func(ms []sentMT) bool {
		seen := map[string]bool{}
		for _, m := range ms {
			if strings.Contains(m.text, promptMarker) {
				seen[m.to] = true
			}
		}
		return len(seen) >= n
	})
	if err != nil {
		r.t.Fatalf("waiting for %d PIN prompts: %v", n, err)
	}
}

// waitFor polls cond every 5ms until it holds or d has passed.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(d)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

// outboxDepth counts the MTs waiting in the outbox.
func (r *faultRig) outboxDepth() int {
	var n int
	if err := r.db.View(r.t.Context(), func(tx smsgw.Tx) (err error) {
		n, err = tx.OutboxDepth()
		return err
	}); err != nil {
		r.t.Fatal(err)
	}
	return n
}

// settle waits until the inbox is processed and the outbox empty.
func (r *faultRig) settle() {
	r.t.Helper()
	waitFor(r.t, "the inbox and the outbox to drain", 30*time.Second, func() bool {
		var pending []smsgw.InboundMO
		var depth int
		if err := r.db.View(r.t.Context(), func(tx smsgw.Tx) (err error) {
			if pending, err = tx.PendingMOs(10); err != nil {
				return err
			}
			depth, err = tx.OutboxDepth()
			return err
		}); err != nil {
			r.t.Fatal(err)
		}
		return len(pending) == 0 && depth == 0
	})
}

// logCount counts the gateway log records with message msg.
func (r *faultRig) logCount(msg string) int {
	return strings.Count(r.logs.String(), fmt.Sprintf("msg=%q", msg))
}

// checkFlows asserts that every flow of ps completed exactly once and
// that nothing acknowledged was lost, and returns the number of duplicate
// MTs the SMSC received (each reply is sent at least once). maxDup bounds
// them.
func (r *faultRig) checkFlows(ps []payer, maxDup int) (dups int) {
	t := r.t
	t.Helper()
	r.settle()
	err := r.db.View(t.Context(), func(tx smsgw.Tx) error {
		for _, p := range ps {
			who := domain.MSISDN(p.canon)
			// Credited exactly once, by the one confirmed session.
			acct, err := tx.Account(domain.WalletID(who))
			if err != nil {
				return err
			}
			if acct.Balance != topUp {
				t.Errorf("%s: wallet balance %d, want %d", p.msisdn, acct.Balance, topUp)
			}
			xs, err := tx.Transfers(domain.WalletID(who), 10)
			if err != nil {
				return err
			}
			ss, err := tx.Sessions(smsgw.SessionFilter{MSISDN: who, Limit: 10})
			if err != nil {
				return err
			}
			if len(xs) != 1 || len(ss) != 1 || ss[0].State != smsgw.StateConfirmed || ss[0].TransferID != xs[0].ID ||
				xs[0].SessionID != ss[0].ID || xs[0].Kind != smsgw.TransferSMSTopUp {
				t.Errorf("%s: transfers %+v, sessions %+v; want one confirmed session with its one transfer", p.msisdn, xs, ss)
			}
			// Both MOs logged once and processed, both replies sent once.
			for _, dir := range []string{smsgw.DirIn, smsgw.DirOut} {
				ms, err := tx.Messages(smsgw.MessageFilter{MSISDN: who, Direction: dir, Limit: 20})
				if err != nil {
					return err
				}
				var got []string
				for _, m := range ms {
					got = append(got, m.ShortCode+" "+m.Status)
				}
				slices.Sort(got)
				want := []string{pinCode + " " + smsgw.MsgProcessed, request + " " + smsgw.MsgProcessed}
				if dir == smsgw.DirOut {
					want = []string{pinCode + " " + smsgw.MsgSent, pinCode + " " + smsgw.MsgSent}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: SMS log %s = %q, want %q", p.msisdn, dir, got, want)
				}
			}
		}
		sum, err := tx.LedgerSum()
		if err != nil {
			return err
		}
		if sum != 0 {
			t.Errorf("ledger sum = %d, want 0", sum)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.checkAcked()
	// What the customers got: each reply at least once, nothing else.
	for _, p := range ps {
		prompts, results := r.mts.count(p.canon, promptMarker), r.mts.count(p.canon, resultMarker)
		if prompts < 1 || results < 1 {
			t.Errorf("%s got %d PIN prompts and %d results, want each at least once", p.msisdn, prompts, results)
		}
		dups += max(prompts-1, 0) + max(results-1, 0)
		for _, m := range r.mts.all() {
			if m.to == p.canon && m.from != pinCode {
				t.Errorf("%s got an unexpected reply from %s: %q", p.msisdn, m.from, m.text)
			} else if m.to == p.canon && !strings.Contains(m.text, promptMarker) && !strings.Contains(m.text, resultMarker) {
				t.Errorf("%s got an unexpected reply: %q", p.msisdn, m.text)
			}
		}
	}
	if dups > maxDup {
		t.Errorf("%d duplicate MTs, want at most %d", dups, maxDup)
	}
	st := r.client().Stats()
	t.Logf("%d flows; deliver_sm_resp %v, %d deliveries unanswered; duplicate MTs %d (bound %d); client: %d binds, %d bind failures, %d throttled, %d unknown outcomes",
		len(ps), r.statusesString(), r.lostCount(), dups, maxDup, st.Binds, st.BindFailures, st.Throttled, st.Unknown)
	return dups
}

// checkAcked asserts that every MO the gateway acknowledged is in the SMS
// log, once: each sender's acknowledged MOs went to distinct short codes,
// so it has one inbound row per short code it was acknowledged for.
func (r *faultRig) checkAcked() {
	t := r.t
	t.Helper()
	r.mu.Lock()
	acked := map[string][]string{}
	for from, m := range r.acked {
		for key := range m {
			code, _, _ := strings.Cut(key, " ")
			acked[from] = append(acked[from], code)
		}
	}
	r.mu.Unlock()
	err := r.db.View(t.Context(), func(tx smsgw.Tx) error {
		for from, codes := range acked {
			canon, err := keywords.NormalizeMSISDN(from)
			if err != nil {
				return err
			}
			ms, err := tx.Messages(smsgw.MessageFilter{MSISDN: domain.MSISDN(canon), Direction: smsgw.DirIn, Limit: 20})
			if err != nil {
				return err
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.ShortCode)
			}
			slices.Sort(got)
			slices.Sort(codes)
			if !slices.Equal(got, codes) {
				t.Errorf("%s: MOs acknowledged to %q, SMS log holds MOs to %q", from, codes, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *faultRig) statusesString() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for st, n := range r.statuses {
		parts = append(parts, fmt.Sprintf("%s×%d", st.Name(), n))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func (r *faultRig) lostCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lost
}

// maxDupMTs is the bound on duplicate MTs: an MT reaches the SMSC twice
// only when the outcome of its submit_sm was unknown (written, then the
// link died or the response timed out) and the outbox sent it again.
func (r *faultRig) maxDupMTs() int { return int(r.client().Stats().Unknown) }

// halves splits the flows of a test: the first half is under way when the
// fault is injected, the second starts while it lasts.
func halves(ps []payer) (first, second []payer) { return ps[:len(ps)/2], ps[len(ps)/2:] }

// TestFaultConnectionDroppedWithFullWindow drops the link while every
// window slot holds a submit_sm the SMSC has accepted but not answered,
// with MOs of running flows in flight.
func TestFaultConnectionDroppedWithFullWindow(t *testing.T) {
	const window = 4
	r := newFaultRig(t, rigOptions{bind: func(b *esme.BindOptions) {
		b.Client.Window = window
		b.Client.ResponseTimeout = time.Minute // only the drop ends the wait
	}})
	first, second := halves(r.addPayers(100, 16))
	wait1 := r.startFlows(first)
	r.waitPrompts(3)

	srv := r.srv.Load()
	srv.UpdateFaults(func(f *smpptest.Faults) { f.DropResponses = true })
	mark := len(r.mts.all())
	wait2 := r.startFlows(second)
	// Other traffic competes for the window with the outbox, which sends
	// to several numbers at once.
	var fill sync.WaitGroup
	for i := range window + 2 {
		fill.Go(func() {
			_, _ = r.e.Send(context.Background(), smsgw.MT{ID: int64(9000 + i), From: request, To: "628129999999", Text: fmt.Sprintf("INFO %d", i)})
		})
	}
	// Full: every slot taken and the SMSC has read that many unanswered
	// submits.
	waitFor(t, "a full window", 30*time.Second, func() bool {
		return r.client().Stats().Session.Pending == window && len(r.mts.all())-mark >= window
	})
	binds := r.client().Stats().Binds
	srv.UpdateFaults(func(f *smpptest.Faults) { f.DropResponses = false })
	srv.DropConnections()
	fill.Wait()
	wait1()
	wait2()

	// Every submit in the full window was written and unanswered: all of
	// them have an unknown outcome, whoever sent them (one still in the
	// write queue when the link died is sent again on the new bind, which
	// is safe).
	if st := r.client().Stats(); st.Binds <= binds || st.Unknown < window {
		t.Errorf("client: %d binds (%d before the drop), %d unknown outcomes; want a new bind and the %d submits in the window unknown",
			st.Binds, binds, st.Unknown, window)
	}
	r.checkFlows(slices.Concat(first, second), r.maxDupMTs())
}

// TestFaultThrottling has the SMSC answer submit_sm with ESME_RTHROTTLED
// in the middle of a run: the submits pause and are sent again, nothing
// is lost and, as a throttled submit was not accepted, nothing is sent
// twice.
func TestFaultThrottling(t *testing.T) {
	r := newFaultRig(t, rigOptions{bind: func(b *esme.BindOptions) {
		b.Client.ThrottleBase, b.Client.ThrottleCap = 10*time.Millisecond, 80*time.Millisecond
	}})
	first, second := halves(r.addPayers(200, 16))
	wait1 := r.startFlows(first)
	r.waitPrompts(3)
	srv := r.srv.Load()
	srv.ThrottleNext(3)
	srv.UpdateFaults(func(f *smpptest.Faults) { f.ThrottleEvery = 2 })
	wait2 := r.startFlows(second)
	waitFor(t, "throttled submits", 30*time.Second, func() bool { return r.client().Stats().Throttled >= 8 })
	srv.UpdateFaults(func(f *smpptest.Faults) { f.ThrottleEvery = 0 })
	wait1()
	wait2()
	if dups := r.checkFlows(slices.Concat(first, second), 0); dups != 0 {
		t.Errorf("%d duplicate MTs after throttling, want none", dups)
	}
	if st := r.client().Stats(); st.Throttled < 8 || st.Unknown != 0 || st.Failed != 0 {
		t.Errorf("client: %d throttled, %d unknown, %d failed; want throttled submits, none unknown or failed", st.Throttled, st.Unknown, st.Failed)
	}
}

// TestFaultSlowResponses slows every SMSC response down in the middle of a
// run: within the response timeout nothing changes for the customers (no
// duplicate); beyond it the submits time out, the link is declared dead
// and bound again, and only submits with an unknown outcome may reach the
// customer twice.
func TestFaultSlowResponses(t *testing.T) {
	t.Run("within the timeout", func(t *testing.T) {
		r := newFaultRig(t, rigOptions{})
		first, second := halves(r.addPayers(300, 12))
		wait1 := r.startFlows(first)
		r.waitPrompts(3)
		r.srv.Load().UpdateFaults(func(f *smpptest.Faults) { f.ResponseDelay = 150 * time.Millisecond })
		wait2 := r.startFlows(second)
		wait1()
		wait2()
		if dups := r.checkFlows(slices.Concat(first, second), 0); dups != 0 {
			t.Errorf("%d duplicate MTs, want none", dups)
		}
		if st := r.client().Stats(); st.Unknown != 0 || st.Binds != 1 {
			t.Errorf("client: %d unknown outcomes, %d binds; want none and the first bind kept", st.Unknown, st.Binds)
		}
	})
	t.Run("beyond the timeout", func(t *testing.T) {
		r := newFaultRig(t, rigOptions{bind: func(b *esme.BindOptions) {
			b.Client.ResponseTimeout = 200 * time.Millisecond
			b.Client.MaxTimeouts = 2
		}})
		first, second := halves(r.addPayers(400, 12))
		wait1 := r.startFlows(first)
		r.waitPrompts(3)
		srv := r.srv.Load()
		srv.UpdateFaults(func(f *smpptest.Faults) { f.ResponseDelay = time.Second })
		wait2 := r.startFlows(second)
		waitFor(t, "the link declared dead", 30*time.Second, func() bool { return r.client().Stats().Reconnects >= 1 })
		srv.UpdateFaults(func(f *smpptest.Faults) { f.ResponseDelay = 0 })
		wait1()
		wait2()
		if st := r.client().Stats(); st.Unknown < 2 {
			t.Errorf("client: %d unknown outcomes, want the timed-out submits", st.Unknown)
		}
		r.checkFlows(slices.Concat(first, second), r.maxDupMTs())
	})
}

// TestFaultGarbage has the SMSC write garbage into the link in the middle
// of a run: an unknown command is answered with generic_nack and the
// session goes on; bytes that cannot be framed end the session, and the
// ESME binds again.
func TestFaultGarbage(t *testing.T) {
	r := newFaultRig(t, rigOptions{})
	first, second := halves(r.addPayers(500, 12))
	wait1 := r.startFlows(first)
	r.waitPrompts(3)
	srv := r.srv.Load()
	ctx := t.Context()
	// A sequence number the SMSC's own deliver_sm will not use: the ESME's
	// generic_nack would complete one of them.
	unknownCmd := []byte{0, 0, 0, 16, 0, 0, 0xAB, 0xCD, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xF0}
	if err := srv.SendRaw(ctx, unknownCmd); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the generic_nack", 30*time.Second, func() bool {
		return slices.ContainsFunc(srv.Nacks(), func(n smpptest.Nack) bool { return n.Status == pdu.StatusInvCmdID })
	})
	if n := r.client().Stats().Reconnects; n != 0 {
		t.Errorf("%d reconnects after an unknown command, want the session to go on", n)
	}
	wait2 := r.startFlows(second)
	if err := srv.SendRaw(ctx, []byte("\xde\xad\xbe\xef garbage from the SMSC \x00\xff")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new bind", 30*time.Second, func() bool { return r.client().Stats().Binds >= 2 })
	wait1()
	wait2()
	r.checkFlows(slices.Concat(first, second), r.maxDupMTs())
}

// TestFaultBindRefused takes the link down in the middle of a run while
// the SMSC refuses binds (ESME_RBINDFAIL); once it accepts them again the
// ESME binds and every flow completes.
func TestFaultBindRefused(t *testing.T) {
	r := newFaultRig(t, rigOptions{})
	first, second := halves(r.addPayers(600, 12))
	wait1 := r.startFlows(first)
	r.waitPrompts(3)
	srv := r.srv.Load()
	srv.UpdateFaults(func(f *smpptest.Faults) { f.BindStatus = pdu.StatusBindFail })
	srv.DropConnections()
	wait2 := r.startFlows(second)
	waitFor(t, "refused binds and MOs waiting at the SMSC", 30*time.Second, func() bool {
		return r.client().Stats().BindFailures >= 2 && r.lostCount() >= 1
	})
	srv.UpdateFaults(func(f *smpptest.Faults) { f.BindStatus = pdu.StatusOK })
	wait1()
	wait2()
	if st := r.client().Stats(); st.Binds < 2 {
		t.Errorf("client: %d binds, want a new one once binds are accepted", st.Binds)
	}
	r.checkFlows(slices.Concat(first, second), r.maxDupMTs())
}

// TestFaultSMSCRestart stops the SMSC in the middle of a run (its listener
// gone: connections are refused) and starts a new one on the same address.
func TestFaultSMSCRestart(t *testing.T) {
	r := newFaultRig(t, rigOptions{})
	first, second := halves(r.addPayers(700, 12))
	wait1 := r.startFlows(first)
	r.waitPrompts(3)
	old := r.srv.Load()
	addr := old.Addr()
	dials := r.client().Stats().Dials
	old.Close()
	wait2 := r.startFlows(second)
	waitFor(t, "refused dials and MOs waiting at the SMSC", 30*time.Second, func() bool {
		return r.client().Stats().Dials >= dials+2 && r.lostCount() >= 1
	})
	r.startSMSC(addr)
	wait1()
	wait2()
	if st := r.client().Stats(); st.Binds < 2 {
		t.Errorf("client: %d binds, want a new one to the restarted SMSC", st.Binds)
	}
	r.checkFlows(slices.Concat(first, second), r.maxDupMTs())
}
