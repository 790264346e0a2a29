-- 0001_init: the initial schema of the SMS top-up gateway.
--
-- Conventions: timestamps are INTEGER Unix nanoseconds in UTC (they sort and
-- compare as numbers); amounts are INTEGER whole rupiah; a zero id in the
-- domain is NULL here, so foreign keys hold.

-- Customers registered for SMS top-up.
CREATE TABLE customers (
	msisdn       TEXT    NOT NULL PRIMARY KEY CHECK (msisdn <> ''),
	name         TEXT    NOT NULL DEFAULT '',
	account      TEXT    NOT NULL,
	pin_hash     BLOB,
	pin_salt     BLOB,
	pin_failures INTEGER NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
	locked_until INTEGER,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX customers_locked ON customers (locked_until) WHERE locked_until IS NOT NULL;

-- Ledger accounts. Wallets and deposits never go negative; settlement
-- accounts may. typeof() rejects a balance that overflowed into a REAL.
CREATE TABLE accounts (
	id         TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
	kind       TEXT    NOT NULL CHECK (kind IN ('wallet', 'settlement', 'deposit')),
	owner      TEXT    NOT NULL DEFAULT '',
	balance    INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	CHECK (typeof(balance) = 'integer'),
	CHECK (kind = 'settlement' OR balance >= 0)
);

-- SMS log: every inbound (MO) and outbound (MT) message. Texts that carried
-- a PIN are stored redacted.
CREATE TABLE sms_log (
	id           INTEGER PRIMARY KEY,
	direction    TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	channel      TEXT    NOT NULL,
	short_code   TEXT    NOT NULL DEFAULT '',
	msisdn       TEXT    NOT NULL,
	text         TEXT    NOT NULL DEFAULT '',
	keyword      TEXT    NOT NULL DEFAULT '',
	dedup_key    TEXT    NOT NULL DEFAULT '',
	status       TEXT    NOT NULL,
	dlr_state    TEXT    NOT NULL DEFAULT '',
	dlr_error    TEXT    NOT NULL DEFAULT '',
	session_id   INTEGER REFERENCES sessions (id),
	transfer_id  INTEGER REFERENCES transfers (id),
	attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt INTEGER,
	last_error   TEXT    NOT NULL DEFAULT '',
	ussd_session TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX sms_log_msisdn ON sms_log (msisdn, id);
CREATE INDEX sms_log_created ON sms_log (created_at);
CREATE INDEX sms_log_session ON sms_log (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX sms_log_transfer ON sms_log (transfer_id) WHERE transfer_id IS NOT NULL;

-- SMSC message ids, one row per part, so a delivery receipt for any part
-- finds its message. Ids are matched exactly as stored.
CREATE TABLE sms_smsc_ids (
	sms_id    INTEGER NOT NULL REFERENCES sms_log (id),
	part      INTEGER NOT NULL CHECK (part >= 0),
	smsc_id   TEXT    NOT NULL CHECK (smsc_id <> ''),
	dlr_state TEXT    NOT NULL DEFAULT '',
	dlr_error TEXT    NOT NULL DEFAULT '',
	dlr_at    INTEGER,
	PRIMARY KEY (sms_id, part)
);
CREATE INDEX sms_smsc_ids_smsc ON sms_smsc_ids (smsc_id);

-- Inbox: stored MOs waiting to be processed. secret holds PIN verifiers
-- (never a PIN) until the MO is processed.
CREATE TABLE inbox (
	sms_id       INTEGER NOT NULL PRIMARY KEY REFERENCES sms_log (id),
	secret       BLOB,
	processed_at INTEGER
);
CREATE INDEX inbox_pending ON inbox (sms_id) WHERE processed_at IS NULL;

-- Outbox: queued MTs; a row is removed when the MT is sent or given up.
CREATE TABLE outbox (
	sms_id       INTEGER NOT NULL PRIMARY KEY REFERENCES sms_log (id),
	next_attempt INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt);

-- De-duplication keys of stored MOs, purged after the redelivery window.
CREATE TABLE mo_dedup (
	key        TEXT    NOT NULL PRIMARY KEY,
	sms_id     INTEGER NOT NULL REFERENCES sms_log (id),
	created_at INTEGER NOT NULL,
	link       TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX mo_dedup_created ON mo_dedup (created_at);

-- PIN sessions. At most one awaiting_pin session per MSISDN; resolved_at is
-- set exactly when the session is final.
CREATE TABLE sessions (
	id                 INTEGER PRIMARY KEY,
	msisdn             TEXT    NOT NULL CHECK (msisdn <> ''),
	account            TEXT    NOT NULL,
	amount             INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
	state              TEXT    NOT NULL CHECK (state IN ('awaiting_pin', 'confirmed', 'wrong_pin_locked', 'expired', 'cancelled', 'failed')),
	attempts           INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	channel            TEXT    NOT NULL DEFAULT '',
	request_message_id INTEGER REFERENCES sms_log (id),
	pin_message_id     INTEGER REFERENCES sms_log (id),
	transfer_id        INTEGER REFERENCES transfers (id),
	created_at         INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL,
	resolved_at        INTEGER,
	CHECK ((state = 'awaiting_pin') = (resolved_at IS NULL))
);
CREATE UNIQUE INDEX sessions_open ON sessions (msisdn) WHERE state = 'awaiting_pin';
CREATE INDEX sessions_expiry ON sessions (expires_at) WHERE state = 'awaiting_pin';
CREATE INDEX sessions_msisdn ON sessions (msisdn, id);
CREATE INDEX sessions_created ON sessions (created_at);

-- Transfers: immutable, each written with exactly two ledger entries.
CREATE TABLE transfers (
	id              INTEGER PRIMARY KEY,
	idempotency_key TEXT    NOT NULL UNIQUE CHECK (idempotency_key <> ''),
	request_hash    TEXT    NOT NULL DEFAULT '',
	kind            TEXT    NOT NULL,
	from_account    TEXT    NOT NULL REFERENCES accounts (id),
	to_account      TEXT    NOT NULL REFERENCES accounts (id),
	amount          INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
	session_id      INTEGER REFERENCES sessions (id),
	message_id      INTEGER REFERENCES sms_log (id),
	reference       TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	CHECK (from_account <> to_account)
);
CREATE INDEX transfers_session ON transfers (session_id) WHERE session_id IS NOT NULL;

CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN
	SELECT RAISE(ABORT, 'transfers are immutable');
END;
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN
	SELECT RAISE(ABORT, 'transfers are immutable');
END;

-- Ledger entries: append-only postings, negative for a debit and positive
-- for a credit. A balance changes only together with an entry.
CREATE TABLE ledger_entries (
	id            INTEGER PRIMARY KEY,
	transfer_id   INTEGER NOT NULL REFERENCES transfers (id),
	account       TEXT    NOT NULL REFERENCES accounts (id),
	amount        INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount <> 0),
	balance_after INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	UNIQUE (transfer_id, account)
);
CREATE INDEX ledger_entries_account ON ledger_entries (account, id);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
	SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
	SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
