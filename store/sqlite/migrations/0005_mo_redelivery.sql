-- The redelivery record: MOs whose acknowledgement the SMSC has not
-- provably read. Only those whose link ended before the SMSC confirmed
-- reading it (lost = 1) can come back from the SMSC (see
-- smsgw/redelivery.go), so a repeat is matched to one of them at most once;
-- everything else is a new message. A row is deleted once the SMSC has
-- confirmed the acknowledgement, or by the purge job after the redelivery
-- window. Several MOs may share a key (the same text sent again), hence
-- sms_id is the key of the table.
--
-- The rows of mo_dedup recorded every MO, confirmed or not; carrying them
-- over would take a customer's repeat for a redelivery, so they are not.
DROP TABLE mo_dedup;
CREATE TABLE mo_redelivery (
	sms_id     INTEGER NOT NULL PRIMARY KEY REFERENCES sms_log (id),
	key        TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	link       TEXT    NOT NULL DEFAULT '',
	lost       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mo_redelivery_key ON mo_redelivery (key, created_at);
CREATE INDEX mo_redelivery_created ON mo_redelivery (created_at);
