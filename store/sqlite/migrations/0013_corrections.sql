-- Corrections of the ledger: a reversal (or a refund to a partner's
-- deposit) is a new transfer that points at the one it undoes, never an
-- update or a delete. reverses_id links it; the sum of the transfers
-- reversing one never exceeds its amount (checked by the gateway in the
-- transaction that writes them).
ALTER TABLE transfers ADD COLUMN reverses_id INTEGER REFERENCES transfers (id);
CREATE INDEX transfers_reverses ON transfers (reverses_id) WHERE reverses_id IS NOT NULL;

-- Maker-checker: a correction is requested by one operator and approved
-- (which writes its transfer) or rejected by another, before it expires.
CREATE TABLE corrections (
	id                 INTEGER PRIMARY KEY,
	kind               TEXT    NOT NULL CHECK (kind IN ('reversal', 'refund')),
	transfer_id        INTEGER NOT NULL REFERENCES transfers (id),
	amount             INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
	reason             TEXT    NOT NULL CHECK (reason <> ''),
	idempotency_key    TEXT    NOT NULL UNIQUE CHECK (idempotency_key <> ''),
	state              TEXT    NOT NULL CHECK (state IN ('requested', 'approved', 'rejected', 'expired')),
	maker              TEXT    NOT NULL CHECK (maker <> ''),
	checker            TEXT    NOT NULL DEFAULT '',
	note               TEXT    NOT NULL DEFAULT '',
	result_transfer_id INTEGER UNIQUE REFERENCES transfers (id),
	created_at         INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL,
	decided_at         INTEGER,
	CHECK ((state = 'approved') = (result_transfer_id IS NOT NULL)),
	CHECK ((state = 'requested') = (decided_at IS NULL)),
	CHECK (state IN ('requested', 'expired') OR (checker <> '' AND lower(checker) <> lower(maker)))
);
CREATE INDEX corrections_transfer ON corrections (transfer_id);
CREATE INDEX corrections_open ON corrections (expires_at) WHERE state = 'requested';
