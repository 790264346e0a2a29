package sqlstore

import (
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// jobRunsKept is how long a recorded job run is remembered.
const jobRunsKept = 24 * time.Hour

// ClaimJobRun records node's run of job for tick, unless one is recorded.
func (t *Tx) ClaimJobRun(job string, tick time.Time, node string) (bool, error) {
	if job == "" {
		return false, smsgw.Errorf(smsgw.EInvalid, "claim job run: job required")
	}
	if _, err := t.exec(`DELETE FROM job_runs WHERE job = ? AND tick < ?`, job, encTime(tick.Add(-jobRunsKept))); err != nil {
		return false, t.mapErr("claim job run", err)
	}
	res, err := t.exec(`INSERT INTO job_runs (job, tick, node, started_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (job, tick) DO NOTHING`, job, encTime(tick), node, encTime(t.now()))
	if err != nil {
		return false, t.mapErr("claim job run", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, t.mapErr("claim job run", err)
	}
	return n == 1, nil
}
