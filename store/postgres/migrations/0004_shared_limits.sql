-- Rate limits by key (an MO sender, a console login address), as a
-- generic cell rate algorithm: tat is the theoretical arrival time of the
-- next event in Unix nanoseconds; blocked_until ends a refusal that lasts
-- longer than the bucket takes to refill. Kept in the store so that
-- daemons sharing the database share the limits and a restart does not reset them.
CREATE TABLE rate_limits (
	name          TEXT    PRIMARY KEY CHECK (name <> ''),
	tat           BIGINT  NOT NULL,
	blocked_until BIGINT  NOT NULL DEFAULT 0
);

-- The accounts each sender asked to top up lately (the distinct-accounts
-- limit): one row per sender and account with the last time it was asked.
CREATE TABLE sender_accounts (
	msisdn  TEXT    NOT NULL,
	account TEXT    NOT NULL,
	last_at BIGINT  NOT NULL,
	PRIMARY KEY (msisdn, account)
);
CREATE INDEX sender_accounts_last ON sender_accounts (last_at);

-- Console logins, by the SHA-256 of their cookie value (the table never
-- holds a usable token), so that any daemon behind a load balancer serves
-- a logged-in operator and a restart does not log everyone out.
CREATE TABLE console_logins (
	token_hash TEXT    PRIMARY KEY,
	user_name  TEXT    NOT NULL,
	created_at BIGINT  NOT NULL,
	seen_at    BIGINT  NOT NULL
);

-- A run of a periodic job lasts until its deadline at most (its context
-- ends there); a run not finished by then is over anyway (its daemon died
-- or the job was cut short). A new tick is not run while another run of
-- the same job is unfinished and before its deadline, so a job that
-- outlasts its interval does not run on two daemons at once.
ALTER TABLE job_runs ADD COLUMN deadline    BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_runs ADD COLUMN finished_at BIGINT;
