package sqlstore

import (
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// jobRunsKept is how long a recorded job run is remembered.
const jobRunsKept = 24 * time.Hour

// ClaimJobRun records node's run of job for tick, unless one is recorded
// or an earlier run is still going.
func (t *Tx) ClaimJobRun(job string, tick time.Time, node string, deadline time.Time) (bool, error) {
	if job == "" {
		return false, smsgw.Errorf(smsgw.EInvalid, "claim job run: job required")
	}
	if _, err := t.exec(`DELETE FROM job_runs WHERE job = ? AND tick < ?`, job, encTime(tick.Add(-jobRunsKept))); err != nil {
		return false, t.mapErr("claim job run", err)
	}
	var running int
	err := t.queryRow(`SELECT count(*) FROM job_runs WHERE job = ? AND tick < ? AND finished_at IS NULL AND deadline > ?`,
		job, encTime(tick), encTime(tick)).Scan(&running)
	if err != nil {
		return false, t.mapErr("claim job run", err)
	}
	if running > 0 {
		return false, nil
	}
	res, err := t.exec(`INSERT INTO job_runs (job, tick, node, started_at, deadline) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (job, tick) DO NOTHING`, job, encTime(tick), node, encTime(t.now()), encTime(deadline))
	if err != nil {
		return false, t.mapErr("claim job run", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, t.mapErr("claim job run", err)
	}
	return n == 1, nil
}

// FinishJobRun records the end of the run of job for tick.
func (t *Tx) FinishJobRun(job string, tick time.Time) error {
	res, err := t.exec(`UPDATE job_runs SET finished_at = ? WHERE job = ? AND tick = ?`, encTime(t.now()), job, encTime(tick))
	if err != nil {
		return t.mapErr("finish job run", err)
	}
	return expectOne(res, "finish job run", func() error { return notFound("no run of job %s for that tick", job) })
}
