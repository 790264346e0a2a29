package partner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// temporary is implemented by errors that say whether retrying may help.
type temporary interface{ Temporary() bool }

// callbackBatch bounds the callbacks one SendCallbacks call attempts.
const callbackBatch = 100

// SendCallbacks attempts every due callback once and returns how many
// were acknowledged. A failed attempt is retried with exponential backoff
// (CallbackRetryBase doubling up to CallbackRetryMax) until its deadline,
// CallbackTTL after it was queued; the last failure dead-letters it. A
// crash between the partner's acknowledgement and the bookkeeping sends the
// callback again: callbacks are at least once, partners de-duplicate by
// trxid.
func (p *Service) SendCallbacks(ctx context.Context) (int, error) {
	if p.o.Notifier == nil {
		return 0, errors.New("smsgw: partners have no notifier")
	}
	type job struct {
		c Callback
		r Request
	}
	var jobs []job
	err := p.view(ctx, func(tx Tx) error {
		due, err := tx.DueCallbacks(p.g.Now(), callbackBatch)
		if err != nil {
			return err
		}
		for _, c := range due {
			r, err := tx.PartnerRequest(c.RequestID)
			if err != nil {
				return fmt.Errorf("request of callback %d: %w", c.ID, err)
			}
			jobs = append(jobs, job{c, *r})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list due callbacks: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent int
		sem  = make(chan struct{}, p.o.CallbackWorkers)
	)
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if p.sendCallback(ctx, j.c, j.r) {
				mu.Lock()
				sent++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return sent, ctx.Err()
}

// sendCallback makes one attempt and records its outcome.
func (p *Service) sendCallback(ctx context.Context, c Callback, r Request) bool {
	err := p.o.Notifier.Notify(ctx, r)
	now := p.g.Now()
	log := p.log.With("callback", c.ID, "partner", c.Partner, "trxid", r.ID, "refid", r.RefID)
	if err == nil {
		if uerr := p.update(ctx, func(tx Tx) error { return tx.MarkCallbackSent(c.ID, now) }); uerr != nil {
			log.Error("record sent callback failed", "err", uerr)
			return false
		}
		log.Info("callback acknowledged", "attempt", c.Attempts+1)
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	attempts := c.Attempts + 1
	var t temporary
	permanent := errors.As(err, &t) && !t.Temporary()
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if permanent || !now.Before(c.Deadline) {
		log.Error("callback dead-lettered", "attempts", attempts, "err", msg)
		if uerr := p.update(ctx, func(tx Tx) error { return tx.MarkCallbackDead(c.ID, msg, now) }); uerr != nil {
			log.Error("record dead callback failed", "err", uerr)
		}
		return false
	}
	next := now.Add(p.backoff(attempts))
	if next.After(c.Deadline) {
		next = c.Deadline
	}
	log.Warn("callback failed; will retry", "attempt", attempts, "next", next, "err", msg)
	if uerr := p.update(ctx, func(tx Tx) error { return tx.MarkCallbackRetry(c.ID, msg, now, next) }); uerr != nil {
		log.Error("record callback retry failed", "err", uerr)
	}
	return false
}

// backoff is the delay after the given number of failed attempts.
func (p *Service) backoff(attempts int) time.Duration {
	d := p.o.CallbackRetryBase << min(attempts-1, 30)
	if d <= 0 || d > p.o.CallbackRetryMax {
		d = p.o.CallbackRetryMax
	}
	return d
}

// ResendCallback queues a dead-lettered (or already acknowledged)
// callback again with a fresh retry window, with its audit entry in the
// same transaction. EConflict if it is still queued, ENotFound if it does
// not exist.
func (p *Service) ResendCallback(ctx context.Context, who smsgw.Actor, id int64) error {
	now := p.g.Now()
	err := p.update(ctx, func(tx Tx) error {
		c, err := tx.Callback(id)
		if err != nil {
			return err
		}
		if err := tx.RequeueCallback(id, now, now.Add(CallbackTTL)); err != nil {
			return err
		}
		detail := fmt.Sprintf("callback of trxid %d to %s queued again (was %s after %d attempts)", c.RequestID, c.Partner, c.Status, c.Attempts)
		return tx.AppendAudit(smsgw.NewAuditEntry(who, ActionCallbackResend, "callback:"+strconv.FormatInt(id, 10), detail, now))
	})
	if err == nil {
		p.log.Info("callback requeued", "callback", id)
	}
	return err
}

// Callbacks lists callbacks, dead letters with Status CallbackDead.
func (p *Service) Callbacks(ctx context.Context, f CallbackFilter) ([]Callback, error) {
	var cs []Callback
	err := p.view(ctx, func(tx Tx) error {
		var err error
		cs, err = tx.Callbacks(f)
		return err
	})
	return cs, err
}

// recheckBatch is the page size in which Recheck reads the open requests.
const recheckBatch = 500

// Recheck looks at every open partner request: one whose PIN session has
// been resolved is finalised from it (with its callback), and one still
// pending PendingMax after it was made is marked unknown, for
// reconciliation; it is never reported as failed. An unknown request is
// still finalised when its session resolves. It returns how many requests
// changed.
func (p *Service) Recheck(ctx context.Context, now time.Time) (int, error) {
	// Find the requests that need a change in a read transaction; most
	// open requests are simply still waiting for their customer.
	var due []int64
	err := p.view(ctx, func(tx Tx) error {
		// Every open request, page by page (one read transaction, so the
		// pages are consistent).
		var open []Request
		for off := 0; ; off += recheckBatch {
			page, err := tx.PartnerRequests(RequestFilter{States: []State{Pending, Unknown},
				Limit: recheckBatch, Offset: off})
			if err != nil {
				return err
			}
			open = append(open, page...)
			if len(page) < recheckBatch {
				break
			}
		}
		for _, r := range open {
			if r.SessionID != 0 {
				s, err := tx.Session(r.SessionID)
				if err != nil {
					return err
				}
				if s.State != smsgw.StateAwaitingPIN {
					due = append(due, r.ID)
					continue
				}
			}
			if r.State == Pending && now.Sub(r.CreatedAt) >= p.o.PendingMax {
				due = append(due, r.ID)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list open partner requests: %w", err)
	}
	n := 0
	for _, id := range due {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var changed *Request
		err := p.update(ctx, func(tx Tx) error {
			changed = nil
			cur, err := tx.PartnerRequest(id)
			if err != nil || cur.State.Final() {
				return err
			}
			if cur.SessionID != 0 {
				s, err := tx.Session(cur.SessionID)
				if err != nil {
					return err
				}
				if s.State != smsgw.StateAwaitingPIN {
					changed = cur
					return finishFromSession(tx, cur, s, now)
				}
			}
			if cur.State == Pending && now.Sub(cur.CreatedAt) >= p.o.PendingMax {
				changed = cur
				cur.State, cur.UpdatedAt = Unknown, now
				cur.Message = fmt.Sprintf("not final after %s; kept for reconciliation", p.o.PendingMax)
				return tx.ResolvePartnerRequest(cur)
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("recheck partner request %d: %w", id, err)
		}
		if changed != nil {
			n++
			p.log.Info("partner request rechecked", "trxid", changed.ID, "partner", changed.Partner, "refid", changed.RefID,
				"state", string(changed.State))
		}
	}
	return n, nil
}
