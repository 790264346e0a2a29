package smsgw

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// temporary is implemented by transport errors that may succeed on retry.
type temporary interface{ Temporary() bool }

// SendDue sends queued MTs whose next attempt is due and returns how many
// were accepted by the SMSC. MTs to different numbers are sent
// concurrently (up to Workers at a time, so that the SMPP window fills);
// MTs to one number are sent in the order they were queued, and after one
// fails its later ones wait for the next call; the exception is a bulk MT
// (an expiry notice), which a later reply to the same number may overtake:
// replies that are due go out before bulk MTs (Message.Bulk). The SMSC's
// acceptances are recorded in batches, one transaction for all the MTs
// accepted meanwhile, while the next MTs are already being sent; SendDue
// returns once every acceptance is recorded (or kept in memory to be
// recorded, never resent, after a storage fault). A failed send is retried with exponential
// backoff up to MTMaxAttempts; a permanent error fails the message at
// once. A crash between the SMSC's acceptance and its record resends the
// message after restart (at-least-once for replies; credits are never
// repeated). An MT whose route is down (ErrRouteDown) waits in the outbox,
// no attempt counted.
func (g *Gateway) SendDue(ctx context.Context) (n int, err error) {
	g.sendMu.Lock()
	defer g.sendMu.Unlock()
	var (
		sent    atomic.Int64
		rec     = make(chan acceptance, outboxPage)
		recDone = make(chan struct{})
		seen    = map[int64]bool{}         // handled in this call
		blocked = map[domain.MSISDN]bool{} // an MT to this number failed in this call
		tried   = map[int64]bool{}         // handed to the sender in this call
		mu      sync.Mutex                 // guards blocked and tried
	)
	go func() {
		defer close(recDone)
		g.recordAccepted(ctx, rec, &sent)
	}()
	defer func() {
		close(rec)
		<-recDone
		n = int(sent.Load()) // every acceptance is recorded (or kept to be) now
		if !g.shared {
			return
		}
		// What this call claimed and did not hand to the sender (behind a
		// failed MT to the same number, or after ctx ended), or that waits
		// for its route, is free for the next call, here or in another
		// gateway on the same store (whose binds of the route may be up). An MT
		// the SMSC took keeps its claim until its record is written, even
		// when that fails now (see unrecorded): released, another gateway
		// would send it again.
		var untried []int64
		for id := range seen {
			if !tried[id] {
				untried = append(untried, id)
			}
		}
		if len(untried) == 0 {
			return
		}
		if rerr := g.store.Update(context.WithoutCancel(ctx), func(tx Tx) error { return tx.ReleaseMTs(g.node, untried) }); rerr != nil {
			g.log.Warn("releasing claimed MTs failed; they wait for their claims to end", "err", rerr)
		}
	}()
	// Acceptances a storage fault kept from being recorded are recorded
	// first: sharing the store, this gateway's claims on them end after
	// mtClaim, and another gateway would then send them again. The due MTs
	// are read once those records are done with: read before a record
	// commits, an MT it just took out of g.unrecorded would look unsent.
	// Sending goes on even if they fail again: a customer's reply matters
	// more than the few MTs a crash during the fault would send twice.
	g.recMu.Lock()
	retry := make([]acceptance, 0, len(g.unrecorded))
	for _, a := range g.unrecorded {
		a.done = make(chan bool, 1)
		retry = append(retry, a)
	}
	g.recMu.Unlock()
	for _, a := range retry {
		rec <- a
	}
	for _, a := range retry {
		<-a.done
	}
	for {
		due, err := g.dueMTs(ctx, len(seen))
		if err != nil {
			return int(sent.Load()), fmt.Errorf("list outbox: %w", err)
		}
		fresh, unseen, bulk := due[:0], 0, 0
		for _, m := range due {
			if seen[m.ID] || g.held.has(m.MSISDN) {
				// A held number's MTs are read again on the next page or
				// call, once its MO's acknowledgement is queued.
				continue
			}
			if m.Bulk && !g.shared {
				// Bulk MTs come after the due replies; a few at a time, so
				// that the page read next finds the replies queued
				// meanwhile first. (Sharing the store, the page is claimed
				// whole and sent whole: what it leaves would stay claimed.)
				if bulk == bulkPage {
					break
				}
				if !blocked[m.MSISDN] && !g.bulkPace.take(g.now()) {
					// Paced: the rest wait for the next token.
					g.bulkPace.wakeAt(func() { g.wake(g.wakeMT) })
					break
				}
				bulk++
			}
			seen[m.ID] = true // also when skipped: the next page reads past it
			unseen++
			if !blocked[m.MSISDN] {
				fresh = append(fresh, m)
			}
		}
		if bulk > 0 {
			g.wake(g.wakeNotice) // room for more expiry notices
		}
		if unseen == 0 || len(seen) > maxSendCall {
			return int(sent.Load()), ctx.Err()
		}
		queues := bySender(fresh, func(m Message) domain.MSISDN { return m.MSISDN })
		err = g.parallel(ctx, len(queues), func(i int) {
			for _, m := range queues[i] {
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				tried[m.ID] = true
				mu.Unlock()
				if accepted, waits := g.sendOne(ctx, m, rec); !accepted {
					mu.Lock()
					blocked[m.MSISDN] = true // its later MTs wait for the next call, in order
					if waits {
						tried[m.ID] = false // nothing sent: its claim is released below
					}
					mu.Unlock()
					return
				}
			}
		})
		if err != nil {
			return int(sent.Load()), err
		}
	}
}

// dueMTs returns the next page of due MTs for SendDue. Alone on its store
// the gateway reads them (seen: how many this call has handled, which may
// still be queued); sharing it, it claims them (ClaimDueMTs), so that no
// other gateway sends them too. MTs of the routes the sender holds
// (RoutedSender) are left in the outbox.
func (g *Gateway) dueMTs(ctx context.Context, seen int) ([]Message, error) {
	var (
		due  []Message
		held []string
	)
	if rs, ok := g.sender.(RoutedSender); ok {
		held = rs.HeldRoutes()
	}
	if !g.shared {
		err := g.store.View(ctx, func(tx Tx) (err error) {
			due, err = tx.DueMTs(g.now(), held, outboxPage+seen)
			return err
		})
		return due, err
	}
	err := g.store.Update(ctx, func(tx Tx) (err error) {
		now := g.now()
		due, err = tx.ClaimDueMTs(g.node, now, now.Add(mtClaim), held, outboxPage)
		return err
	})
	return due, err
}

// mtClaim is how long SendDue holds the MTs it claims: enough to send them
// and record the SMSC's answers; the MTs of a gateway that dies meanwhile
// go out through another one after it.
const mtClaim = 30 * time.Second

// outboxPage is how many due MTs SendDue reads at a time; after
// maxSendCall MTs one call returns (the loop calls again when woken), so
// that its memory of what it handled stays small under a constant flow.
const (
	outboxPage  = 200
	maxSendCall = 20 * outboxPage
)

// bulkPage is how many bulk MTs SendDue sends before it reads the outbox
// again for replies that became due meanwhile: at a few thousand MTs a
// second, a reply then waits for at most about 10 ms of bulk sending.
const bulkPage = 32

// acceptance is an MT the SMSC accepted, to be recorded as sent. done,
// when set (buffered, one slot), receives whether the record was
// committed: the sender waits for it before it sends its next MT.
type acceptance struct {
	m    Message
	ids  []string
	at   time.Time
	done chan bool
}

// recordAccepted records the acceptances arriving on rec, each batch of
// those waiting in one transaction, until rec is closed. An acceptance
// that cannot be recorded stays in g.unrecorded: it is recorded later,
// never sent again (see sendOne).
func (g *Gateway) recordAccepted(ctx context.Context, rec <-chan acceptance, sent *atomic.Int64) {
	// Recording outlives a cancelled ctx: what the SMSC accepted is
	// written down if at all possible, so that a restart does not send it
	// again.
	ctx = context.WithoutCancel(ctx)
	for a := range rec {
		batch := []acceptance{a}
	more:
		for len(batch) < outboxPage {
			select {
			case a, ok := <-rec:
				if !ok {
					break more
				}
				batch = append(batch, a)
			default:
				break more
			}
		}
		var gone []bool // recorded elsewhere already: no longer queued
		err := g.store.Update(ctx, func(tx Tx) error {
			gone = make([]bool, len(batch))
			for i, a := range batch {
				err := tx.MarkMTSent(a.m.ID, a.ids, a.at)
				if ErrorCode(err) == ENotFound {
					gone[i] = true
				} else if err != nil {
					return err
				}
			}
			return nil
		})
		g.recMu.Lock()
		for i, a := range batch {
			if err != nil {
				if g.unrecorded == nil {
					g.unrecorded = map[int64]acceptance{}
				}
				kept := a
				kept.done = nil // answered below; a retry gets its own
				g.unrecorded[a.m.ID] = kept
				continue
			}
			delete(g.unrecorded, a.m.ID)
			if !gone[i] {
				sent.Add(1)
				g.stats.MTSent.Add(1)
				g.obs.MT(a.m.ShortCode, a.m.Template, "sent")
			}
		}
		g.recMu.Unlock()
		for _, a := range batch {
			if a.done != nil {
				a.done <- err == nil
			}
		}
		if err != nil {
			g.log.Error("record sent MTs failed; will record them again, not resend them", "mts", len(batch), "err", err)
		}
	}
}

// sendOne sends m and hands its acceptance to rec, or, when the SMSC has
// already accepted it and only the record of that failed (a store fault),
// hands it over without sending it again: a storage fault must not repeat
// an MT to the customer on every poll while it lasts. Only a restart
// forgets such an MT and sends it once more. It reports whether m was
// accepted and recorded, once the record was attempted, and whether, not
// sent, it waits for its route (ErrRouteDown): then nothing is recorded.
// Each of SendDue's senders has at most one accepted MT not yet recorded,
// so a crash sends at most that many again however far the records lag
// (they still share their commits). An MT accepted and not recorded (a
// storage fault) counts as not accepted here, so that its number's later
// MTs wait for the next call, but it is not sent again: it is kept in
// g.unrecorded and recorded first by the next call. Those are the
// exception to the bound: a crash during a storage fault sends them again
// too.
func (g *Gateway) sendOne(ctx context.Context, m Message, rec chan<- acceptance) (accepted, waits bool) {
	g.recMu.Lock()
	a, accepted := g.unrecorded[m.ID]
	g.recMu.Unlock()
	ids := a.ids
	var err error
	if !accepted {
		ids, err = g.sender.Send(ctx, MT{ID: m.ID, From: m.ShortCode, To: m.MSISDN, ToAddr: m.Addr, Text: m.Text, Channel: m.Channel,
			USSDSession: m.USSDSession, Route: m.Route})
	}
	now := g.now()
	if err == nil {
		a := acceptance{m: m, ids: ids, at: now, done: make(chan bool, 1)}
		rec <- a
		return <-a.done, false
	}
	if ctx.Err() != nil {
		return false, false
	}
	if len(ids) == 0 && errors.Is(err, ErrRouteDown) {
		// Nothing left: the MT waits in the outbox for its route, with no
		// attempt counted (the next call does not read it while the
		// sender holds the route).
		g.log.Debug("MT waits for its route", "sms_id", m.ID, "route", m.Route)
		return false, true
	}
	var t temporary
	permanent := errors.As(err, &t) && !t.Temporary()
	attempts := m.Attempts + 1
	if permanent || attempts >= g.mtMax {
		g.stats.MTFailed.Add(1)
		g.obs.MT(m.ShortCode, m.Template, "failed")
		g.log.Error("MT failed", "sms_id", m.ID, "msisdn", m.MSISDN, "attempts", attempts, "err", err)
		if uerr := g.store.Update(ctx, func(tx Tx) error { return tx.MarkMTFailed(m.ID, err.Error(), now) }); uerr != nil {
			g.log.Error("record failed MT failed", "sms_id", m.ID, "err", uerr)
		}
		return false, false
	}
	delay := g.mtBase << min(attempts-1, 20)
	if delay > 5*time.Minute || delay <= 0 {
		delay = 5 * time.Minute
	}
	g.stats.MTRetried.Add(1)
	g.obs.MT(m.ShortCode, m.Template, "retry")
	g.log.Warn("MT send failed; will retry", "sms_id", m.ID, "attempt", attempts, "retry_in", delay, "err", err)
	if uerr := g.store.Update(ctx, func(tx Tx) error { return tx.MarkMTRetry(m.ID, err.Error(), now.Add(delay)) }); uerr != nil {
		g.log.Error("record MT retry failed", "sms_id", m.ID, "err", uerr)
	}
	return false, false
}

// Receipt is a delivery receipt as the transport decoded it.
type Receipt struct {
	SMSCID string // message id as normalised by the transport
	State  string // MsgDelivered, MsgUndeliv, or a non-final state name
	Error  string
	At     time.Time
}

// HandleReceipt applies a delivery receipt to the SMS log. ENotFound means
// no MT carries that id (yet: a receipt may overtake the submit response).
func (g *Gateway) HandleReceipt(ctx context.Context, r Receipt) error {
	if r.At.IsZero() {
		r.At = g.now()
	}
	return g.store.Update(ctx, func(tx Tx) error { return tx.UpdateDLR(r.SMSCID, r.State, r.Error, r.At) })
}

// ExpirePending expires the awaiting_pin sessions past their TTL at now,
// a chunk of them per transaction, and wakes the notice loop (see
// QueueExpiryNotices), which then queues each customer's expiry notice.
// The update is conditional, so a late or repeated run is harmless. It
// returns the number expired.
//
// Expiring is only a change of state, so a mass expiry ends quickly (a
// million sessions in seconds) and the customers can open new sessions at
// once; the notices (an SMS log row and an outbox row each) follow at the
// pace bulk MTs are sent (Options.BulkRate), behind the MOs. A session
// hook that is an ExpiryHook is told once the sessions are expired, also
// when a chunk failed after others had expired.
func (g *Gateway) ExpirePending(ctx context.Context, now time.Time) (int, error) {
	n := 0
	g.expiring.Add(1)
	defer func() {
		if n > 0 {
			g.stats.Expired.Add(int64(n))
			for range n {
				g.obs.Session(StateExpired)
			}
			g.log.Info("sessions expired", "count", n)
		}
		// The notice loop passed while expiries ran: the last one to end
		// wakes it, whoever expired the sessions.
		if g.expiring.Add(-1) == 0 {
			g.wake(g.wakeNotice)
		}
	}()
	// Two callers alone on the store: while one chunk's commit is synced
	// the writer runs the other's (a fifth faster). Sharing the store
	// (PostgreSQL), two would read the same sessions and conflict.
	workers := 2
	if g.shared {
		workers = 1
	}
	var (
		mu      sync.Mutex
		err     error
		expired atomic.Int64
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				var k int
				uerr := g.store.Update(Background(ctx), func(tx Tx) error {
					var err error
					k, err = tx.ExpireSessions(now, expiryChunk)
					return err
				})
				if uerr != nil {
					mu.Lock()
					err = cmp.Or(err, fmt.Errorf("expire sessions: %w", uerr))
					mu.Unlock()
					return
				}
				expired.Add(int64(k))
				if k < expiryChunk {
					return
				}
			}
		})
	}
	wg.Wait()
	n = int(expired.Load())
	if err == nil {
		err = ctx.Err()
	}
	if n > 0 {
		if herr := g.sessionsExpired(Background(ctx), now); herr != nil {
			err = errors.Join(err, fmt.Errorf("session hook after the expiry: %w", herr))
		}
	}
	return n, err
}

// QueueExpiryNotices queues the expiry notice owed for each session that
// ExpirePending expired, with the session hook's work, a batch of sessions
// per transaction, oldest session first; a notice another gateway on the
// same store took is skipped. It returns the number of notices queued. Run
// calls it when sessions expire, when bulk MTs were sent, and every poll
// interval (for the notices a stop left). While ExpirePending runs it
// queues nothing: the expiry goes first. With Options.BulkRate it queues
// no more than two seconds of bulk sending ahead of the outbox.
//
// A session whose notice fails alone is passed over for noticeRetry, so
// that one bad session does not hold back, or make every batch fail
// before, the thousands behind it.
func (g *Gateway) QueueExpiryNotices(ctx context.Context) (int, error) {
	if g.expiring.Load() > 0 {
		return 0, nil // the expiry goes first; it wakes this loop when it ends
	}
	if g.expiryHookDue.Load() {
		// The last expiry's hook failed, or this gateway just started
		// (after a stop between an expiry and its hook, say).
		if err := g.sessionsExpired(Background(ctx), g.now()); err != nil {
			g.log.Warn("session hook after the expiry failed; will retry", "err", err)
		}
	}
	r := g.rules.Load()
	n := 0
	defer func() {
		if n > 0 {
			g.log.Info("expiry notices queued", "count", n)
		}
	}()
	var after int64 // the last session read by this call
	for {
		if g.expiring.Load() > 0 {
			return n, nil
		}
		var (
			read  []Session
			batch []Session
		)
		room := noticeBatch
		if err := g.store.View(ctx, func(tx Tx) error {
			if ahead := g.bulkPace.ahead(); ahead > 0 {
				// Queued no faster than bulk MTs are sent: the rest wait
				// in their sessions until SendDue has sent some.
				queued, err := tx.BulkQueued(ahead)
				if err != nil {
					return err
				}
				room = min(room, ahead-queued)
				if room <= 0 {
					return nil
				}
			}
			var err error
			read, err = tx.ExpiryNoticesDue(after, room)
			return err
		}); err != nil {
			return n, fmt.Errorf("list expiry notices due: %w", err)
		}
		if len(read) == 0 {
			return n, nil
		}
		after = read[len(read)-1].ID
		now := g.now()
		for _, s := range read {
			if !g.noticeFails.waiting(s.ID, now) {
				batch = append(batch, s)
			}
		}
		var (
			queued int
			err    error
		)
		if len(batch) > 0 {
			queued, err = g.queueNotices(ctx, r, batch)
		}
		if err != nil && ctx.Err() == nil {
			// One session's failure must not hold back the others: take
			// them one by one; a failing one waits for noticeRetry.
			if len(batch) > 1 {
				g.log.Warn("queueing a batch of expiry notices failed; queueing them one by one", "sessions", len(batch), "err", err)
			}
			queued, err = 0, nil
			var failed []int64
			for _, s := range batch {
				k, serr := g.queueNotices(ctx, r, []Session{s})
				queued += k
				if serr != nil && ctx.Err() == nil {
					failed = append(failed, s.ID)
					err = serr
				}
			}
			for _, id := range failed {
				g.noticeFails.failed(id, now.Add(noticeRetry))
				g.log.Error("expiry notice not queued; will retry", "session", id, "retry_in", noticeRetry, "err", err)
			}
			if len(failed) == len(batch) {
				// Not one went through: perhaps the store rather than a
				// session is failing. Stop here rather than try the
				// thousands after.
				return n, fmt.Errorf("queue expiry notices: %w", err)
			}
			err = nil
		}
		n += queued
		g.stats.ExpiryNotices.Add(int64(queued))
		if queued > 0 {
			g.wake(g.wakeMT)
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if len(read) < room {
			return n, nil
		}
	}
}

// noticeRetry is how long a session whose notice failed alone is passed
// over before it is tried again.
const noticeRetry = time.Minute

// failedNotices remembers the sessions whose notice failed alone, until
// they may be tried again. It forgets those past their time when it grows.
type failedNotices struct {
	mu    sync.Mutex
	until map[int64]time.Time
}

// waiting reports whether session id's notice failed and waits at now.
func (f *failedNotices) waiting(id int64, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.until[id]
	if ok && !now.Before(t) {
		delete(f.until, id)
		return false
	}
	return ok
}

// failed makes session id's notice wait until until.
func (f *failedNotices) failed(id int64, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.until == nil {
		f.until = map[int64]time.Time{}
	}
	if len(f.until) >= 1024 {
		for k, t := range f.until {
			if until.Sub(t) > noticeRetry {
				delete(f.until, k)
			}
		}
	}
	f.until[id] = until
}

// queueNotices takes the owed notices of batch in one transaction (one
// commit), calls the session hook for each and queues the notices; a
// notice taken meanwhile (by another gateway) is skipped, not failed. It
// returns how many it queued.
func (g *Gateway) queueNotices(ctx context.Context, r *Rules, batch []Session) (int, error) {
	var queued int
	err := g.store.Update(Background(ctx), func(tx Tx) error {
		queued = 0
		for _, s := range batch {
			err := tx.TakeExpiryNotice(s.ID)
			if ErrorCode(err) == EConflict {
				continue
			} else if err != nil {
				return fmt.Errorf("expiry notice of session %d: %w", s.ID, err)
			}
			resolved := g.now()
			if s.ResolvedAt != nil {
				resolved = *s.ResolvedAt
			}
			if err := g.sessionResolved(tx, &s, resolved); err != nil {
				return fmt.Errorf("expiry notice of session %d: %w", s.ID, err)
			}
			d := ReplyData{Account: s.Account.Local(), Amount: s.Amount.Grouped(), TTL: int(r.SessionTTL / time.Minute)}
			m, err := g.mt(tx, r, r.PINCode, s.MSISDN, Address{}, "", s.Channel, "", ReplyExpired, d, s.ID, 0)
			if err != nil {
				return fmt.Errorf("expiry notice of session %d: %w", s.ID, err)
			}
			// Queued by the thousand when many sessions lapse at once:
			// replies that are due go out first.
			m.Bulk = true
			if err := tx.EnqueueMT(m); err != nil {
				return fmt.Errorf("expiry notice of session %d: %w", s.ID, err)
			}
			queued++
		}
		return nil
	})
	return queued, err
}

// UnlockDue lifts PIN locks whose time has passed.
func (g *Gateway) UnlockDue(ctx context.Context, now time.Time) (int, error) {
	var ms []domain.MSISDN
	err := g.store.Update(ctx, func(tx Tx) error {
		var err error
		ms, err = tx.UnlockDue(now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("unlock due: %w", err)
	}
	for _, m := range ms {
		g.log.Info("PIN lock lifted", "msisdn", m)
	}
	return len(ms), nil
}

// PurgeDedup forgets de-duplication keys older than the window, and the
// abuse limits' rows that no longer limit anyone (a full MO rate bucket,
// accounts out of the window).
func (g *Gateway) PurgeDedup(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	window := g.rules.Load().Abuse.AccountWindow
	err := g.store.Update(ctx, func(tx Tx) error {
		keys, err := tx.PurgeDedup(now.Add(-g.dedupWindow))
		if err != nil {
			return err
		}
		limits, err := tx.PurgeLimits(now, window)
		n = keys + limits
		return err
	})
	return n, err
}

// DailySummary returns counts and sums of the 24 hours before now and
// logs them.
func (g *Gateway) DailySummary(ctx context.Context, now time.Time) (Summary, error) {
	var s Summary
	err := g.store.View(ctx, func(tx Tx) error {
		var err error
		s, err = tx.Summary(now.Add(-24*time.Hour), now)
		return err
	})
	if err != nil {
		return s, fmt.Errorf("daily summary: %w", err)
	}
	attrs := []any{"from", s.From, "to", s.To, "mo", s.MOs, "mt", s.MTs,
		"credited_count", s.CreditedCount, "credited_rupiah", int64(s.Credited)}
	for st, c := range s.ByState {
		attrs = append(attrs, string(st), c)
	}
	g.log.Info("daily summary", attrs...)
	return s, nil
}

// AddCustomer registers msisdn for SMS top-up with its own i-pay account
// and PIN, creating the wallet if needed.
func (g *Gateway) AddCustomer(ctx context.Context, msisdn, account, name string, pin domain.PIN) error {
	m, err := keywords.NormalizeMSISDN(msisdn)
	if err != nil {
		return Errorf(EInvalid, "msisdn %q: %v", msisdn, err)
	}
	a, err := keywords.NormalizeMSISDN(account)
	if err != nil {
		return Errorf(EInvalid, "account %q: %v", account, err)
	}
	r := g.rules.Load()
	if _, err := keywords.ParsePIN(pin.Reveal(), r.PINMinLen, r.PINMaxLen); err != nil {
		return Errorf(EInvalid, "PIN must be %d to %d digits", r.PINMinLen, r.PINMaxLen)
	}
	now := g.now()
	c := &Customer{MSISDN: domain.MSISDN(m), Account: domain.MSISDN(a), Name: name, CreatedAt: now, UpdatedAt: now}
	if err := g.hasher.Set(c, pin); err != nil {
		return err
	}
	return g.store.Update(ctx, func(tx Tx) error {
		if err := tx.CreateAccount(&Account{ID: domain.WalletID(c.Account), Kind: domain.KindWallet, Owner: c.MSISDN, CreatedAt: now}); err != nil && ErrorCode(err) != EConflict {
			return err
		}
		return tx.CreateCustomer(c)
	})
}

// AddWallet creates an i-pay wallet that is not tied to a registered payer.
func (g *Gateway) AddWallet(ctx context.Context, account string) error {
	a, err := keywords.NormalizeMSISDN(account)
	if err != nil {
		return Errorf(EInvalid, "account %q: %v", account, err)
	}
	return g.store.Update(ctx, func(tx Tx) error {
		return tx.CreateAccount(&Account{ID: domain.WalletID(domain.MSISDN(a)), Kind: domain.KindWallet, Owner: domain.MSISDN(a), CreatedAt: g.now()})
	})
}

// ResetPIN sets a new PIN and clears failures and lock.
func (g *Gateway) ResetPIN(ctx context.Context, msisdn string, pin domain.PIN) error {
	r := g.rules.Load()
	if _, err := keywords.ParsePIN(pin.Reveal(), r.PINMinLen, r.PINMaxLen); err != nil {
		return Errorf(EInvalid, "PIN must be %d to %d digits", r.PINMinLen, r.PINMaxLen)
	}
	return g.updateCustomer(ctx, msisdn, func(c *Customer) error {
		c.PINFailures, c.LockedUntil = 0, nil
		return g.hasher.Set(c, pin)
	})
}

// Unlock clears a customer's lock and failure counter.
func (g *Gateway) Unlock(ctx context.Context, msisdn string) error {
	return g.updateCustomer(ctx, msisdn, func(c *Customer) error {
		c.PINFailures, c.LockedUntil = 0, nil
		return nil
	})
}

func (g *Gateway) updateCustomer(ctx context.Context, msisdn string, fn func(*Customer) error) error {
	m, err := keywords.NormalizeMSISDN(msisdn)
	if err != nil {
		return Errorf(EInvalid, "msisdn %q: %v", msisdn, err)
	}
	return g.store.Update(ctx, func(tx Tx) error {
		c, err := tx.Customer(domain.MSISDN(m))
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		c.UpdatedAt = g.now()
		return tx.UpdateCustomer(c)
	})
}

// Wallet returns an i-pay wallet and its most recent ledger entries.
func (g *Gateway) Wallet(ctx context.Context, account string, limit int) (*Account, []Entry, error) {
	a, err := keywords.NormalizeMSISDN(account)
	if err != nil {
		return nil, nil, Errorf(EInvalid, "account %q: %v", account, err)
	}
	var acct *Account
	var entries []Entry
	err = g.store.View(ctx, func(tx Tx) error {
		var err error
		if acct, err = tx.Account(domain.WalletID(domain.MSISDN(a))); err != nil {
			return err
		}
		entries, err = tx.Entries(acct.ID, 0, limit)
		return err
	})
	return acct, entries, err
}

// expiryChunk is how many sessions one expiry transaction moves to expired:
// a few milliseconds of the writer's time, so that the MOs queued behind it
// wait little.
const expiryChunk = 500

// noticeBatch is how many expiry notices one transaction queues: enough to
// share a commit, few enough that the MOs queued behind it wait little.
const noticeBatch = 100

// ClaimJobRun reports whether this gateway runs job for the tick starting
// at tick, to end by deadline: true unless another gateway sharing the
// store has claimed that tick or still runs an earlier one
// (JobStore.ClaimJobRun). A claimed run is ended with FinishJobRun.
func (g *Gateway) ClaimJobRun(ctx context.Context, job string, tick, deadline time.Time) (bool, error) {
	var ok bool
	err := g.store.Update(ctx, func(tx Tx) (err error) {
		ok, err = tx.ClaimJobRun(job, tick, g.node, deadline)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim job %s: %w", job, err)
	}
	return ok, nil
}

// FinishJobRun records the end of this gateway's run of job for tick, so
// that the next tick may run before the run's deadline.
func (g *Gateway) FinishJobRun(ctx context.Context, job string, tick time.Time) error {
	if err := g.store.Update(ctx, func(tx Tx) error { return tx.FinishJobRun(job, tick) }); err != nil {
		return fmt.Errorf("finish job %s: %w", job, err)
	}
	return nil
}
