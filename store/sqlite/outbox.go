package sqlite

import "fmt"

// OutboxDepth counts messages queued in the outbox.
func (t *tx) OutboxDepth() (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: outbox depth: %w", err)
	}
	return n, nil
}
