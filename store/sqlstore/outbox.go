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

// OutboxByRoute counts the messages queued in the outbox per route.
func (t *Tx) OutboxByRoute() (map[string]int, error) {
	rows, err := t.query(`SELECT l.route, count(*) FROM outbox o JOIN sms_log l ON l.id = o.sms_id GROUP BY l.route`)
	if err != nil {
		return nil, fmt.Errorf("store: outbox by route: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			route string
			n     int
		)
		if err := rows.Scan(&route, &n); err != nil {
			return nil, fmt.Errorf("store: outbox by route: %w", err)
		}
		out[route] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox by route: %w", err)
	}
	return out, nil
}
