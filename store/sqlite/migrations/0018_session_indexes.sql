-- The expiry of a million sessions changes as few index entries as it can.
--
-- One open session per MSISDN is kept by the column open_msisdn, unique
-- where set, instead of a partial unique index on the MSISDN of the
-- sessions awaiting a PIN. A session holds its MSISDN there from its
-- creation until it is resolved; one that expired keeps it until the same
-- MSISDN opens its next session, which frees it first.
--
-- The expiry then changes no index keyed by MSISDN: with the old index,
-- each of a million expiring sessions deleted an entry at a random place
-- in it, and the chunks rewrote most of its pages again and again.
--
-- Only the column's own check fits here: SQLite tests a new column's checks
-- against the rows already there, where the open ones do not hold their
-- MSISDN yet.
ALTER TABLE sessions ADD COLUMN open_msisdn TEXT CHECK (open_msisdn IS NULL OR open_msisdn = msisdn);
UPDATE sessions SET open_msisdn = msisdn WHERE state = 'awaiting_pin';
CREATE UNIQUE INDEX sessions_slot ON sessions (open_msisdn) WHERE open_msisdn IS NOT NULL;
DROP INDEX sessions_open;

-- The operator's view of sessions by state reads the final states through
-- sessions_state, now without the open sessions: a session enters it once,
-- when it is resolved or expires, instead of leaving one entry and taking
-- another. Open sessions are listed through sessions_expiry (they are few
-- but for a burst, and lapse within the session TTL).
DROP INDEX sessions_state;
CREATE INDEX sessions_state ON sessions (state, id) WHERE state <> 'awaiting_pin';
