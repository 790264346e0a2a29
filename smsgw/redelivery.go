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
// (and of every MO with an SMSC id, which matches on any link) until its
// confirmation is written or the window has passed; ackBook holds, in
// memory, the fates of this run: open, lost or done, the last two until the
// store has them. A record is a candidate only when it is known lost. A
// repeat over another link waits (AckWait at most) for the fate of an open
// copy; if it is taken as new before that fate is known, the open copy can
// no longer match (see ackEntry.superseded). A process that
// dies cannot know the fate of the acknowledgements it had just written:
// their records stay open and are never matched, so after a crash a real
// redelivery of such an MO is processed a second time (its reply may go out
// twice; a credit cannot, see docs/reliability.md) rather than a customer's
// repeat being dropped.

// DefaultAckWait bounds how long an MO waits for the fate of an earlier copy
// with the same text that is still open on another link. It delays that
// MO's acknowledgement, so it stays well below the response timeouts of
// SMSCs (10 s and more).
const DefaultAckWait = 2 * time.Second

// ackBook is the in-memory side of the redelivery record.
type ackBook struct {
	mu   sync.Mutex
	open map[int64]*ackEntry // fate unknown
	// lost and done map a record to the link its fate is about, until the
	// store has it: lost records are marked (at once), done ones (confirmed,
	// or superseded) deleted (with the next periodic write).
	lost  map[int64]string
	done  map[int64]string
	flush chan struct{} // capacity 1: lost has entries
}

type ackEntry struct {
	key, link string
	decided   chan struct{} // closed when the fate is known
	// superseded: a repeat over another link was taken as new while this
	// fate was open; if the fate turns out lost, that repeat may have been
	// the redelivery, so this record matches nothing more.
	superseded bool
}

func newAckBook() *ackBook {
	return &ackBook{open: map[int64]*ackEntry{}, lost: map[int64]string{}, done: map[int64]string{}, flush: make(chan struct{}, 1)}
}

// track marks id open on link; called inside the storing transaction,
// before it commits, so no other MO can see the record without the book
// knowing it. A fate noted for the record's previous link is void.
func (b *ackBook) track(id int64, key, link string) *ackEntry {
	e := &ackEntry{key: key, link: link, decided: make(chan struct{})}
	b.mu.Lock()
	old := b.open[id]
	b.open[id] = e
	delete(b.lost, id)
	delete(b.done, id)
	b.mu.Unlock()
	if old != nil {
		// The id came back after the insert that held it was rolled back:
		// that entry is void; release whoever waits on it.
		close(old.decided)
	}
	return e
}

// settle records the fate of id: confirmed, its record is to be deleted;
// unconfirmed, its record is to be marked lost, a redelivery candidate.
func (b *ackBook) settle(id int64, confirmed bool) {
	b.mu.Lock()
	e := b.open[id]
	if e == nil {
		b.mu.Unlock()
		return
	}
	delete(b.open, id)
	lost := !confirmed && !e.superseded
	if lost {
		b.lost[id] = e.link
	} else {
		b.done[id] = e.link
	}
	b.mu.Unlock()
	close(e.decided)
	if lost {
		select {
		case b.flush <- struct{}{}:
		default:
		}
	}
}

// untrack drops id without a fate (its transaction did not commit).
func (b *ackBook) untrack(id int64, e *ackEntry) {
	b.mu.Lock()
	if b.open[id] != e {
		// Replaced meanwhile (see track): not ours to remove.
		b.mu.Unlock()
		return
	}
	delete(b.open, id)
	b.mu.Unlock()
	close(e.decided)
}

// candidate reports whether the record c is a redelivery candidate: lost,
// by the store's mark or this run's fate, and not open again (on a new
// link, after a redelivery).
func (b *ackBook) candidate(c RedeliveryRecord) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, open := b.open[c.SMSID]; open {
		return false
	}
	_, lost := b.lost[c.SMSID]
	return lost || c.Lost
}

// supersede notes that an MO over link is taken as new while the first of
// recs open on another link has no fate yet (see ackEntry.superseded).
func (b *ackBook) supersede(recs []RedeliveryRecord, link string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range recs {
		if e := b.open[c.SMSID]; e != nil && e.link != link && !e.superseded {
			e.superseded = true
			return
		}
	}
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
				ch = e.decided
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
func (b *ackBook) fates() (lost []RedeliveryRecord, done []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, link := range b.lost {
		lost = append(lost, RedeliveryRecord{SMSID: id, Link: link})
	}
	for id := range b.done {
		done = append(done, id)
	}
	return lost, done
}

// recorded drops the fates the store now has, unless a newer fate of the
// same record came meanwhile.
func (b *ackBook) recorded(lost []RedeliveryRecord, done []int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range lost {
		if b.lost[r.SMSID] == r.Link {
			delete(b.lost, r.SMSID)
		}
	}
	for _, id := range done {
		delete(b.done, id)
	}
}

// ackTicket names the ack book entry a storing transaction made, so that it
// can be undone when the transaction is retried or does not commit.
type ackTicket struct {
	id int64
	e  *ackEntry
}

// admit stores m in tx unless it is the SMSC's redelivery of an MO stored
// before (dup). With track, the stored or matched MO enters the ack book
// before tx commits, and tk names it. secret is what m was stored with
// (PIN verifiers), for processing it in the same transaction. With queue
// false m gets no inbox row: the caller processes it in tx.
func (g *Gateway) admit(tx Tx, r *Rules, m *Message, receivedAt time.Time, track bool, tk *ackTicket, queue bool) (dup bool, secret []byte, err error) {
	g.drop(tk) // a retried transaction
	if dup, err = g.redelivered(tx, m, receivedAt); err == nil && !dup {
		secret, err = g.storeMO(tx, r, m, queue)
	}
	if err == nil && track {
		tk.id, tk.e = m.ID, g.acks.track(m.ID, m.DedupKey, m.Link)
	}
	return dup, secret, err
}

// drop undoes tk's ack book entry.
func (g *Gateway) drop(tk *ackTicket) {
	if tk.id != 0 {
		g.acks.untrack(tk.id, tk.e)
		tk.id, tk.e = 0, nil
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
func (g *Gateway) redelivered(tx MessageStore, m *Message, receivedAt time.Time) (bool, error) {
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
	g.acks.supersede(cands, m.Link)
	return false, nil
}

// RecordAckFates writes the acknowledgement fates learnt since the last
// call to the store: lost MOs are marked as redelivery candidates and
// confirmed ones lose their redelivery record (which matches nothing, so
// deleting it only keeps the table small). It returns how many it wrote.
// Run calls it as soon as a fate is lost and with every poll; call it once
// more after the transport has stopped.
func (g *Gateway) RecordAckFates(ctx context.Context) (int, error) {
	lost, done := g.acks.fates()
	if len(lost)+len(done) == 0 {
		return 0, nil
	}
	err := g.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.MarkMOsLost(lost); err != nil {
			return err
		}
		_, err := tx.ForgetMOs(done)
		return err
	})
	if err != nil {
		return 0, err
	}
	g.acks.recorded(lost, done)
	return len(lost) + len(done), nil
}
