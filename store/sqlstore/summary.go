package sqlstore

import (
	"fmt"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// Summary counts the sessions created in [from, to) by state (open ones
// under awaiting_pin), the transfers of the confirmed ones and their sum,
// and the MOs and MTs logged in the same interval.
func (t *Tx) Summary(from, to time.Time) (smsgw.Summary, error) {
	s := smsgw.Summary{From: from, To: to, ByState: map[smsgw.SessionState]int{}}
	f, u := encTime(from), encTime(to)

	rows, err := t.query(`SELECT state, count(*) FROM sessions WHERE created_at >= ? AND created_at < ? GROUP BY state`, f, u)
	if err != nil {
		return s, fmt.Errorf("store: summary sessions: %w", err)
	}
	type stateCount struct {
		state smsgw.SessionState
		n     int
	}
	counts, err := collect(rows, "summary sessions", func(row scanner) (*stateCount, error) {
		var c stateCount
		return &c, row.Scan(&c.state, &c.n)
	})
	if err != nil {
		return s, err
	}
	for _, c := range counts {
		s.ByState[c.state] = c.n
	}

	if err := t.queryRow(`SELECT count(*), coalesce(sum(tr.amount), 0) FROM sessions s JOIN transfers tr ON tr.id = s.transfer_id
		WHERE s.created_at >= ? AND s.created_at < ? AND s.state = 'confirmed'`, f, u).
		Scan(&s.CreditedCount, &s.Credited); err != nil {
		return s, fmt.Errorf("store: summary credits: %w", err)
	}

	if err := t.queryRow(`SELECT
			coalesce(sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), 0),
			coalesce(sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), 0)
		FROM sms_log WHERE created_at >= ? AND created_at < ?`, f, u).Scan(&s.MOs, &s.MTs); err != nil {
		return s, fmt.Errorf("store: summary messages: %w", err)
	}
	return s, nil
}
