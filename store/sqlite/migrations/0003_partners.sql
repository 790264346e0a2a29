-- Host-to-host partners: requests, inquiries, nonces, destination failure
-- counters and the callback outbox. Conventions as in 0001_init.

-- Inquiries: the first step of inquiry → payment.
CREATE TABLE partner_inquiries (
	id         INTEGER PRIMARY KEY,
	partner    TEXT    NOT NULL CHECK (partner <> ''),
	product    TEXT    NOT NULL CHECK (product <> ''),
	dest       TEXT    NOT NULL CHECK (dest <> ''),
	amount     INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
	name       TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);

-- Partner requests. (partner, refid) is the idempotency key of the
-- partner; transfer_key is the idempotency key of the credit, and each
-- credit belongs to at most one request. A final request (success,
-- failed) never changes again.
CREATE TABLE partner_requests (
	id             INTEGER PRIMARY KEY,
	partner        TEXT    NOT NULL CHECK (partner <> ''),
	refid          TEXT    NOT NULL CHECK (refid <> ''),
	kind           TEXT    NOT NULL CHECK (kind IN ('topup', 'payment', 'va')),
	mode           TEXT    NOT NULL CHECK (mode IN ('immediate', 'confirm')),
	product        TEXT    NOT NULL DEFAULT '',
	dest           TEXT    NOT NULL CHECK (dest <> ''),
	amount         INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
	price          INTEGER NOT NULL DEFAULT 0 CHECK (typeof(price) = 'integer' AND price >= 0),
	state          TEXT    NOT NULL CHECK (state IN ('pending', 'success', 'failed', 'unknown')),
	code           TEXT    NOT NULL DEFAULT '',
	message        TEXT    NOT NULL DEFAULT '',
	request_hash   TEXT    NOT NULL DEFAULT '',
	transfer_key   TEXT    NOT NULL DEFAULT '',
	session_id     INTEGER REFERENCES sessions (id),
	transfer_id    INTEGER UNIQUE REFERENCES transfers (id),
	inquiry_id     INTEGER UNIQUE REFERENCES partner_inquiries (id),
	sn             TEXT    NOT NULL DEFAULT '',
	balance_before INTEGER NOT NULL DEFAULT 0,
	balance_after  INTEGER NOT NULL DEFAULT 0,
	duplicate      INTEGER NOT NULL DEFAULT 0 CHECK (duplicate IN (0, 1)),
	paid_at        INTEGER,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	resolved_at    INTEGER,
	UNIQUE (partner, refid),
	CHECK ((state IN ('success', 'failed')) = (resolved_at IS NOT NULL)),
	CHECK (state <> 'success' OR transfer_id IS NOT NULL)
);
CREATE INDEX partner_requests_open ON partner_requests (id) WHERE state IN ('pending', 'unknown');
CREATE INDEX partner_requests_session ON partner_requests (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX partner_requests_product_dest ON partner_requests (partner, product, dest, created_at);
CREATE INDEX partner_requests_dest ON partner_requests (dest, id);
CREATE INDEX partner_requests_created ON partner_requests (created_at);

CREATE TRIGGER partner_requests_final BEFORE UPDATE ON partner_requests
WHEN OLD.state IN ('success', 'failed')
BEGIN
	SELECT RAISE(ABORT, 'final partner requests are immutable');
END;
CREATE TRIGGER partner_requests_no_delete BEFORE DELETE ON partner_requests
BEGIN
	SELECT RAISE(ABORT, 'partner requests are kept');
END;

-- Nonces of signed requests within the timestamp window; purged after it.
CREATE TABLE partner_nonces (
	partner    TEXT    NOT NULL,
	nonce      TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (partner, nonce)
) WITHOUT ROWID;
CREATE INDEX partner_nonces_created ON partner_nonces (created_at);

-- Consecutive failures per destination; reset by a success or an admin.
CREATE TABLE partner_destinations (
	dest         TEXT    NOT NULL PRIMARY KEY CHECK (dest <> ''),
	failures     INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
	last_failure INTEGER,
	updated_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- Callback outbox: one row per final request, written with the state
-- change; dead rows are the dead letters.
CREATE TABLE partner_callbacks (
	id           INTEGER PRIMARY KEY,
	request_id   INTEGER NOT NULL UNIQUE REFERENCES partner_requests (id),
	partner      TEXT    NOT NULL,
	status       TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'dead')),
	attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt INTEGER NOT NULL,
	deadline     INTEGER NOT NULL,
	last_error   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	sent_at      INTEGER,
	CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX partner_callbacks_due ON partner_callbacks (next_attempt) WHERE status = 'queued';
CREATE INDEX partner_callbacks_status ON partner_callbacks (status, id);
