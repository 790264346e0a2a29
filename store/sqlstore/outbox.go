package sqlstore

import "fmt"

// OutboxDepth counts messages queued in the outbox.
func (t *Tx) OutboxDepth() (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: outbox depth: %w", err)
	}
	return n, nil
}
