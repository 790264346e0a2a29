-- migrate: foreign keys off; check partner_requests partner_callbacks
--
-- A bank partner may reverse a VA payment it confirmed: the reversal is a
-- partner request of its own (its own refid, trxid, status and callback)
-- of kind 'va_reversal', whose reverses_id is the payment it reverses.
-- SQLite cannot change a CHECK in place, so partner_requests is rebuilt
-- (partner_callbacks refers to it: the runner does this with foreign keys
-- off and checks them before it commits). Every row is kept as it is.
CREATE TABLE partner_requests_new (
	id             INTEGER PRIMARY KEY,
	partner        TEXT    NOT NULL CHECK (partner <> ''),
	refid          TEXT    NOT NULL CHECK (refid <> ''),
	kind           TEXT    NOT NULL CHECK (kind IN ('topup', 'payment', 'va', 'va_reversal')),
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
	refid_dup      INTEGER NOT NULL DEFAULT 0 CHECK (refid_dup IN (0, 1)),
	reverses_id    INTEGER REFERENCES partner_requests (id),
	UNIQUE (partner, refid),
	CHECK ((state IN ('success', 'failed')) = (resolved_at IS NOT NULL)),
	CHECK (state <> 'success' OR transfer_id IS NOT NULL),
	CHECK ((kind = 'va_reversal') = (reverses_id IS NOT NULL))
);
INSERT INTO partner_requests_new (
	id, partner, refid, kind, mode, product, dest, amount, price, state, code, message, request_hash,
	transfer_key, session_id, transfer_id, inquiry_id, sn, balance_before, balance_after, duplicate,
	paid_at, created_at, updated_at, resolved_at, refid_dup)
SELECT
	id, partner, refid, kind, mode, product, dest, amount, price, state, code, message, request_hash,
	transfer_key, session_id, transfer_id, inquiry_id, sn, balance_before, balance_after, duplicate,
	paid_at, created_at, updated_at, resolved_at, refid_dup
FROM partner_requests;
DROP TABLE partner_requests;
ALTER TABLE partner_requests_new RENAME TO partner_requests;

CREATE INDEX partner_requests_open ON partner_requests (id) WHERE state IN ('pending', 'unknown');
CREATE INDEX partner_requests_session ON partner_requests (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX partner_requests_product_dest ON partner_requests (partner, product, dest, created_at);
CREATE INDEX partner_requests_dest ON partner_requests (dest, id);
CREATE INDEX partner_requests_created ON partner_requests (created_at);
CREATE INDEX partner_requests_reverses ON partner_requests (reverses_id) WHERE reverses_id IS NOT NULL;
CREATE UNIQUE INDEX partner_requests_refid_nocase ON partner_requests (partner, refid COLLATE NOCASE)
WHERE refid_dup = 0;
CREATE TRIGGER partner_requests_no_delete BEFORE DELETE ON partner_requests
BEGIN
	SELECT RAISE(ABORT, 'partner requests are kept');
END;
CREATE TRIGGER partner_requests_final BEFORE UPDATE ON partner_requests
WHEN OLD.state IN ('success', 'failed')
BEGIN
	SELECT RAISE(ABORT, 'final partner requests are immutable');
END;
