package smsgw

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Telling an SMSC redelivery from a customer's repeat.
//
// An SMSC delivers an MO again only when it did not receive our
// acknowledgement. Over TCP it has read the acknowledgement once it has
// answered any request we wrote after it on the same link; the transport
// reports that through MO.Track. So only an MO acknowledged over a link that
// ended before such a confirmation can come back, and a repeat is matched
// to one of those at most once, within the de-duplication window.
// Everything else (the same text over the same link, over another link
// once the first copy is confirmed, after a restart) is the customer
// sending again, and is processed and answered.
//
// The store keeps a record (sms_id, key, link, lost) of every tracked MO
// until its confirmation is written; ackBook holds, in memory, the fates of
// this run: open, confirmed, or lost, the last two until the store has
// them. A record is a candidate only when it is known lost. A process that
// dies cannot know the fate of the acknowledgements it had just written:
// their records stay open and are never matched, so after a crash a real
// redelivery of such an MO is processed a second time (its reply may go out
// twice; a credit cannot, see docs/reliability.md) rather than a customer's
// repeat being dropped.

// DefaultAckWait bounds how long an MO waits for the fate of an earlier copy
// with the same text that is still open on another link.
const DefaultAckWait = 5 * time.Second

// ackBook is the in-memory side of the redelivery record.
type ackBook struct {
	mu        sync.Mutex
	open      map[int64]*ackEntry // fate unknown
	confirmed map[int64]bool      // confirmed, record not yet forgotten
	lost      map[int64]bool      // link ended first, record not yet marked
	flush     chan struct{}       // capacity 1: confirmed or lost has entries
}

type ackEntry struct {
	key, link string
	done      chan struct{} // closed when the fate is known
}

func newAckBook() *ackBook {
	return &ackBook{open: map[int64]*ackEntry{}, confirmed: map[int64]bool{}, lost: map[int64]bool{}, flush: make(chan struct{}, 1)}
}

// track marks id open; called inside the storing transaction, before it
// commits, so no other MO can see the record without the book knowing it.
func (b *ackBook) track(id int64, key, link string) {
	b.mu.Lock()
	b.open[id] = &ackEntry{key: key, link: link, done: make(chan struct{})}
	b.mu.Unlock()
}

// settle records the fate of id: confirmed, its record is to be forgotten;
// unconfirmed, its record is to be marked lost, a redelivery candidate.
func (b *ackBook) settle(id int64, confirmed bool) {
	b.mu.Lock()
	e := b.open[id]
	delete(b.open, id)
	if confirmed {
		b.confirmed[id] = true
	} else {
		b.lost[id] = true
	}
	b.mu.Unlock()
	if e != nil {
		close(e.done)
	}
	select {
	case b.flush <- struct{}{}:
	default:
	}
}

// untrack drops id without a fate (its transaction did not commit).
func (b *ackBook) untrack(id int64) {
	b.mu.Lock()
	e := b.open[id]
	delete(b.open, id)
	b.mu.Unlock()
	if e != nil {
		close(e.done)
	}
}

// candidate reports whether the record c is a redelivery candidate: lost,
// by the store's mark or this run's fate, and neither open again (on a new
// link, after a redelivery) nor confirmed since.
func (b *ackBook) candidate(c UnconfirmedMO) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, open := b.open[c.SMSID]; open || b.confirmed[c.SMSID] {
		return false
	}
	return c.Lost || b.lost[c.SMSID]
}

// wait blocks until no MO with key is open on a link other than link, or
// until d has passed or ctx is done.
func (b *ackBook) wait(ctx context.Context, key, link string, d time.Duration) {
	var timeout <-chan time.Time
	for {
		var ch chan struct{}
		b.mu.Lock()
		for _, e := range b.open {
			if e.key == key && e.link != link {
				ch = e.done
				break
			}
		}
		b.mu.Unlock()
		if ch == nil {
			return
		}
		if timeout == nil {
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-ch:
		case <-timeout:
			return
		case <-ctx.Done():
			return
		}
	}
}

func isSMSCKey(k string) bool { return strings.HasPrefix(k, smscKeyPrefix) }

// fates returns the fates the store does not have yet.
func (b *ackBook) fates() (confirmed, lost []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id := range b.confirmed {
		confirmed = append(confirmed, id)
	}
	for id := range b.lost {
		lost = append(lost, id)
	}
	return confirmed, lost
}

// recorded drops fates the store has now.
func (b *ackBook) recorded(confirmed, lost []int64) {
	b.mu.Lock()
	for _, id := range confirmed {
		delete(b.confirmed, id)
	}
	for _, id := range lost {
		delete(b.lost, id)
	}
	b.mu.Unlock()
}

// ackTicket names the ack book entry a storing transaction made, so that it
// can be undone when the transaction is retried or does not commit.
type ackTicket struct{ id int64 }

// admit stores m in tx unless it is the SMSC's redelivery of an MO stored
// before (dup). With track, the stored or matched MO enters the ack book
// before tx commits, and tk names it.
func (g *Gateway) admit(tx Tx, r *Rules, m *Message, receivedAt time.Time, track bool, tk *ackTicket) (dup bool, err error) {
	g.drop(tk) // a retried transaction
	if dup, err = g.redelivered(tx, m, receivedAt); err == nil && !dup {
		err = g.storeMO(tx, r, m)
	}
	if err == nil && track {
		g.acks.track(m.ID, m.DedupKey, m.Link)
		tk.id = m.ID
	}
	return dup, err
}

// drop undoes tk's ack book entry.
func (g *Gateway) drop(tk *ackTicket) {
	if tk.id != 0 {
		g.acks.untrack(tk.id)
		tk.id = 0
	}
}

// handOver gives the transport, through its Track function, the ack book
// entry of a committed transaction, or drops the entry of one that did
// not commit.
func (g *Gateway) handOver(tk *ackTicket, track func(func(bool)), committed bool) {
	if tk.id == 0 {
		return
	}
	if !committed {
		g.drop(tk)
		return
	}
	id := tk.id
	track(func(confirmed bool) { g.acks.settle(id, confirmed) })
}

// redelivered reports whether m is the SMSC's redelivery of an MO stored
// before, and if so sets m.ID to it and moves that MO's record to m's link
// (so it matches once per lost acknowledgement). It runs inside the storing
// transaction.
func (g *Gateway) redelivered(tx Tx, m *Message, receivedAt time.Time) (bool, error) {
	if m.DedupKey == "" {
		return false, nil
	}
	cands, err := tx.RedeliveryCandidates(m.DedupKey, receivedAt.Add(-g.dedupWindow))
	if err != nil {
		return false, err
	}
	for _, c := range cands {
		if isSMSCKey(c.Key) {
			// The SMSC's own message id identifies the message on any link.
			m.ID = c.SMSID
			return true, nil
		}
		if c.Link == m.Link || !g.acks.candidate(c) {
			// Over the same live link, or while the first copy's
			// acknowledgement is open, confirmed or of unknown fate:
			// the customer again.
			continue
		}
		// The SMSC's redelivery. The record now follows the new
		// acknowledgement: another redelivery can match it only if this
		// one is lost too.
		if err := tx.RelinkRedelivery(c.SMSID, m.Link); err != nil {
			return false, err
		}
		m.ID = c.SMSID
		return true, nil
	}
	return false, nil
}

// RecordAckFates writes the acknowledgement fates learnt since the last
// call to the store: confirmed MOs lose their redelivery record, lost ones
// are marked as candidates. It returns how many it wrote. Run calls it
// whenever there are some; call it once more after the transport has
// stopped.
func (g *Gateway) RecordAckFates(ctx context.Context) (int, error) {
	confirmed, lost := g.acks.fates()
	if len(confirmed)+len(lost) == 0 {
		return 0, nil
	}
	err := g.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.ForgetMOs(confirmed); err != nil {
			return err
		}
		_, err := tx.MarkMOsLost(lost)
		return err
	})
	if err != nil {
		return 0, err
	}
	g.acks.recorded(confirmed, lost)
	return len(confirmed) + len(lost), nil
}
