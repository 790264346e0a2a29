-- One row per run of a periodic job per tick, so that daemons sharing a
-- store run each job once per tick: the first to record the tick runs it.
CREATE TABLE job_runs (
	job        TEXT    NOT NULL CHECK (job <> ''),
	tick       INTEGER NOT NULL,
	node       TEXT    NOT NULL DEFAULT '',
	started_at INTEGER NOT NULL,
	PRIMARY KEY (job, tick)
);
