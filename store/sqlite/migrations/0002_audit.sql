-- Audit trail of operator actions and indexes for the operator views.

-- Audit trail: who did what to which target, and when. Append-only, like
-- the ledger: triggers refuse UPDATE and DELETE. detail never holds a PIN or
-- password.
CREATE TABLE audit_log (
	id     INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT    NOT NULL CHECK (actor <> ''),
	role   TEXT    NOT NULL DEFAULT '',
	action TEXT    NOT NULL CHECK (action <> ''),
	target TEXT    NOT NULL DEFAULT '',
	detail TEXT    NOT NULL DEFAULT '',
	remote TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_target ON audit_log (target, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

-- Operator views: SMS log filters, sessions by state, credits per day.
CREATE INDEX sms_log_short_code ON sms_log (short_code, id);
CREATE INDEX sms_log_keyword ON sms_log (keyword, id);
CREATE INDEX sessions_state ON sessions (state, id);
CREATE INDEX transfers_created ON transfers (created_at);
