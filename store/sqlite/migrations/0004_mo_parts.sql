-- 0004_mo_parts: parts of concatenated MOs. Each part is stored before it
-- is acknowledged to the SMSC and deleted when its message is complete (in
-- the transaction that stores the whole MO) or expired. data is sealed by
-- the gateway: it may carry a PIN, which never rests here in clear.
CREATE TABLE mo_parts (
	id          INTEGER PRIMARY KEY,
	msg_key     TEXT    NOT NULL CHECK (msg_key <> ''),
	seq         INTEGER NOT NULL CHECK (seq >= 1),
	total       INTEGER NOT NULL CHECK (total <= 255 AND seq <= total),
	data_coding INTEGER NOT NULL CHECK (data_coding BETWEEN 0 AND 255),
	data        BLOB    NOT NULL,
	source      TEXT    NOT NULL DEFAULT '',
	dest        TEXT    NOT NULL DEFAULT '',
	smsc_id     TEXT    NOT NULL DEFAULT '',
	link        TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	UNIQUE (msg_key, seq)
);
CREATE INDEX mo_parts_created ON mo_parts (created_at);
