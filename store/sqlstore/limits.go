package sqlstore

import (
	"database/sql"
	"errors"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// TakeRate applies the generic cell rate algorithm: the row of key holds
// the theoretical arrival time (tat) of the next event; an event at at is
// allowed when tat is at most (Burst-1) intervals ahead of at, and moves
// tat one interval on. A refused event writes nothing unless it starts a
// refusal (r.Block).
func (t *Tx) TakeRate(key string, r smsgw.Rate, at time.Time) (smsgw.RateVerdict, error) {
	if key == "" || r.Interval <= 0 || r.Burst <= 0 {
		return smsgw.RateVerdict{}, smsgw.Errorf(smsgw.EInvalid, "take rate: key, interval and burst required")
	}
	now := encTime(at)
	var tat, blocked int64
	err := t.queryRow(`SELECT tat, blocked_until FROM rate_limits WHERE name = ?`, key).Scan(&tat, &blocked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return smsgw.RateVerdict{}, t.mapErr("take rate", err)
	}
	if now < blocked {
		return smsgw.RateVerdict{Until: decTime(blocked)}, nil
	}
	tat = max(tat, now)
	tolerance := int64(r.Interval) * int64(r.Burst-1)
	if tat-now > tolerance {
		if r.Block <= 0 {
			return smsgw.RateVerdict{Until: decTime(tat - tolerance)}, nil
		}
		blocked = encTime(at.Add(r.Block))
		if err := t.putRate(key, tat, blocked); err != nil {
			return smsgw.RateVerdict{}, err
		}
		return smsgw.RateVerdict{Started: true, Until: decTime(blocked)}, nil
	}
	if err := t.putRate(key, tat+int64(r.Interval), 0); err != nil {
		return smsgw.RateVerdict{}, err
	}
	return smsgw.RateVerdict{OK: true}, nil
}

func (t *Tx) putRate(key string, tat, blocked int64) error {
	_, err := t.exec(`INSERT INTO rate_limits (name, tat, blocked_until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET tat = excluded.tat, blocked_until = excluded.blocked_until`, key, tat, blocked)
	if err != nil {
		return t.mapErr("take rate", err)
	}
	return nil
}

// UseAccount counts the accounts sender asked for after at-window.
func (t *Tx) UseAccount(sender, account domain.MSISDN, at time.Time, window time.Duration, max int) (bool, time.Time, error) {
	if sender == "" || account == "" || window <= 0 || max <= 0 {
		return false, time.Time{}, smsgw.Errorf(smsgw.EInvalid, "use account: sender, account, window and max required")
	}
	rows, err := t.query(`SELECT account, last_at FROM sender_accounts WHERE msisdn = ? AND last_at > ?`,
		string(sender), encTime(at.Add(-window)))
	if err != nil {
		return false, time.Time{}, t.mapErr("use account", err)
	}
	defer rows.Close()
	var (
		n      int
		known  bool
		oldest int64
	)
	for rows.Next() {
		var (
			acc  string
			last int64
		)
		if err := rows.Scan(&acc, &last); err != nil {
			return false, time.Time{}, t.mapErr("use account", err)
		}
		if acc == string(account) {
			known = true
		}
		if n == 0 || last < oldest {
			oldest = last
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return false, time.Time{}, t.mapErr("use account", err)
	}
	rows.Close()
	if !known && n >= max {
		return false, decTime(oldest).Add(window), nil
	}
	_, err = t.exec(`INSERT INTO sender_accounts (msisdn, account, last_at) VALUES (?, ?, ?)
		ON CONFLICT (msisdn, account) DO UPDATE SET last_at = excluded.last_at
		WHERE excluded.last_at > sender_accounts.last_at`, string(sender), string(account), encTime(at))
	if err != nil {
		return false, time.Time{}, t.mapErr("use account", err)
	}
	return true, time.Time{}, nil
}

// PurgeLimits removes rate rows with a full bucket and no refusal at now
// and accounts last asked for at or before now-window.
func (t *Tx) PurgeLimits(now time.Time, window time.Duration) (int64, error) {
	n := encTime(now)
	rates, err := t.affected("purge limits")(t.exec(`DELETE FROM rate_limits WHERE tat <= ? AND blocked_until <= ?`, n, n))
	if err != nil {
		return 0, err
	}
	accounts, err := t.affected("purge limits")(t.exec(`DELETE FROM sender_accounts WHERE last_at <= ?`, encTime(now.Add(-window))))
	return rates + accounts, err
}
