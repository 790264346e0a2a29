package smsgw

import (
	"sync"
	"time"
)

// pacer lets bulk MTs out at rate a second, in bursts of at most burst: a
// token bucket on the Gateway's clock. The zero rate (a nil *pacer) paces
// nothing.
type pacer struct {
	rate, burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
	timer  bool // a wake-up is scheduled (wakeAt)
}

// newPacer returns a pacer of rate a second, nil for rate <= 0. Its burst
// is a tenth of a second's worth (at least one), so that bulk MTs go out
// in small steps between the replies.
func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{rate: rate, burst: max(1, rate/10)}
}

// ahead is how many bulk MTs may wait in the outbox: two seconds' worth
// (at least a batch of notices), so that the producer (the expiry notices,
// woken as bulk MTs are sent) keeps the pace fed without queueing much more
// than it sends. 0 for a nil pacer: no bound.
func (p *pacer) ahead() int {
	if p == nil {
		return 0
	}
	return max(2*int(p.rate), noticeBatch)
}

// take takes one token at now and reports whether there was one.
func (p *pacer) take(now time.Time) bool {
	if p == nil {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last.IsZero() {
		p.tokens = p.burst
	} else if d := now.Sub(p.last); d > 0 {
		p.tokens = min(p.burst, p.tokens+d.Seconds()*p.rate)
	}
	p.last = now
	if p.tokens < 1 {
		return false
	}
	p.tokens--
	return true
}

// wakeAt calls wake once tokens for a page of bulk MTs (or the burst, if
// smaller) are due, unless a call is already scheduled: a wake-up per
// token would make the outbox read its page a thousand times a second.
// Call it right after a take that failed (the tokens are counted up to
// then). The wake-up is on the real clock.
func (p *pacer) wakeAt(wake func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer {
		return
	}
	p.timer = true
	want := min(p.burst, bulkPage)
	need := time.Duration((want - p.tokens) / p.rate * float64(time.Second))
	time.AfterFunc(max(need, time.Millisecond), func() {
		p.mu.Lock()
		p.timer = false
		p.mu.Unlock()
		wake()
	})
}
