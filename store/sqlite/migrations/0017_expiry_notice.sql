-- The expiry of sessions and their notices are two steps: the periodic job
-- moves every lapsed session to expired in a few large updates, marking
-- each with the notice its customer is owed (notice_due); the notices (and
-- the session hook) follow in smaller transactions, which clear the mark.
-- A session marked here is the durable record of a notice not yet queued.
ALTER TABLE sessions ADD COLUMN notice_due INTEGER NOT NULL DEFAULT 0 CHECK (notice_due IN (0, 1));
CREATE INDEX sessions_notice ON sessions (id) WHERE notice_due = 1;

