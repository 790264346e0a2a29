-- One row per run of a periodic job per tick, so that daemons sharing the
-- database run each job once per tick: the first to record the tick runs it.
CREATE TABLE job_runs (
	job        TEXT   NOT NULL CHECK (job <> ''),
	tick       BIGINT NOT NULL,
	node       TEXT   NOT NULL DEFAULT '',
	started_at BIGINT NOT NULL,
	PRIMARY KEY (job, tick)
);
