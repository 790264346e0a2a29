package smsgw

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

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
		if err := g.enqueue(tx, r, in.ShortCode, in.MSISDN, in.Addr, in.Route, in.Channel, in.USSDSession, ReplyUnavailable, ReplyData{}, 0, 0); err != nil {
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
	g.log.Error("MO given up after repeated failures; the sender was told", "sms_id", in.ID,
		"msisdn", in.MSISDN, "attempts", f.attempts, "err", cause)
	return true
}

func (g *Gateway) processOne(ctx context.Context, in InboundMO) error {
	r := g.rules.Load()
	var f *flow
	err := g.store.Update(ctx, func(tx Tx) (err error) {
		f = nil
		// Another gateway on the same store may have processed it since
		// the inbox was read; the store's isolation makes this check and
		// the processing below one step.
		if pending, err := tx.MOPending(in.ID); err != nil || !pending {
			return err
		}
		f, err = g.processIn(tx, r, in, nil)
		return err
	})
	if err != nil {
		return err
	}
	if f == nil {
		g.log.Debug("MO processed elsewhere", "sms_id", in.ID)
		return nil
	}
	g.backlog.add(-1)
	g.report(f)
	return nil
}

// processIn processes the inbox row in within tx and finishes it.
func (g *Gateway) processIn(tx Tx, r *Rules, in InboundMO, said *[]capturedReply) (*flow, error) {
	f := &flow{g: g, r: r, tx: tx, in: in, now: g.now(), keyword: in.Keyword, said: said}
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
