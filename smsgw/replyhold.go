package smsgw

import (
	"sync"

	"github.com/smsgw/smsgw/domain"
)

// replyHold keeps the outbox from sending to a number whose MO is being
// stored and processed in one transaction until the MO's acknowledgement
// is queued. The reply commits with the MO, and readers see a commit
// before the store has synced it and HandleMO has returned; sent at that
// moment it would go out ahead of the acknowledgement, and the SMSC's
// answer to it would no longer prove that the SMSC read the
// acknowledgement (redelivery.go), leaving the MO's fate to the
// transport's probe. Only a gateway alone on its store holds: sharing it,
// another gateway may send the reply anyway, and a claimed MT must not
// wait.
type replyHold struct {
	mu sync.Mutex
	n  map[domain.MSISDN]int
}

func (h *replyHold) add(m domain.MSISDN) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[domain.MSISDN]int{}
	}
	h.n[m]++
}

func (h *replyHold) done(m domain.MSISDN) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n[m] <= 1 {
		delete(h.n, m)
		return
	}
	h.n[m]--
}

func (h *replyHold) has(m domain.MSISDN) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[m] > 0
}
