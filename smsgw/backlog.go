package smsgw

import (
	"context"
	"sync/atomic"
	"time"
)

// Back-pressure. Every MO the gateway acknowledges is stored first, and
// processed afterwards from the inbox. When processing falls behind (a
// burst above what the store can commit, a slow disk, fsync spikes), the
// inbox grows and with it the time every customer waits for a reply. The
// backlog bounds it: above MaxBacklog stored-but-unprocessed MOs, a new MO
// waits up to BacklogWait for room and is then refused with EBusy, which
// the SMPP adapter answers with ESME_RTHROTTLED: the SMSC keeps the
// message and delivers it again later, and nothing acknowledged is lost.

// Defaults of Options.MaxBacklog and Options.BacklogWait.
const (
	DefaultMaxBacklog  = 2000
	DefaultBacklogWait = 500 * time.Millisecond
)

// backlog counts the MOs stored and not yet processed.
type backlog struct {
	max  int64
	wait time.Duration
	n    atomic.Int64
}

// add changes the count by d. The count may dip below zero for a moment:
// an MO's processing can finish (-1) before the HandleMO that stored it
// counts it (+1).
func (b *backlog) add(d int64) { b.n.Add(d) }

// room waits until the backlog is below its bound, at most b.wait, and
// returns EBusy if it is still full then. A bound <= 0 never refuses.
func (b *backlog) room(ctx context.Context) error {
	if b.max <= 0 || b.n.Load() < b.max {
		return nil
	}
	deadline := time.Now().Add(b.wait)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if b.n.Load() < b.max {
			return nil
		}
	}
	return Errorf(EBusy, "%d stored MOs wait to be processed (max_backlog %d)", b.n.Load(), b.max)
}

// Backlog returns how many stored MOs wait to be processed. The count is
// kept in memory and set again from the store whenever the inbox is seen
// empty.
func (g *Gateway) Backlog() int { return int(max(g.backlog.n.Load(), 0)) }
