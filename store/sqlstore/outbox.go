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

// BulkQueued counts the bulk MTs queued in the outbox, up to limit (a
// limit <= 0 is DefaultLimit): it reads no further than limit entries of
// outbox_order.
func (t *Tx) BulkQueued(limit int) (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM (SELECT 1 FROM outbox WHERE bulk = 1 LIMIT ?) AS b`, limitOf(limit)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: bulk queued: %w", err)
	}
	return n, nil
}

// OutboxByRoute counts the messages queued in the outbox per route.
func (t *Tx) OutboxByRoute() (map[string]int, error) {
	rows, err := t.query(`SELECT l.route, count(*) FROM outbox o JOIN sms_log l ON l.id = o.sms_id GROUP BY l.route`)
	if err != nil {
		return nil, fmt.Errorf("store: outbox by route: %w", err)
	}
	type routeCount struct {
		route string
		n     int
	}
	counts, err := collect(rows, "outbox by route", func(r scanner) (*routeCount, error) {
		var c routeCount
		return &c, r.Scan(&c.route, &c.n)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(counts))
	for _, c := range counts {
		out[c.route] = c.n
	}
	return out, nil
}
