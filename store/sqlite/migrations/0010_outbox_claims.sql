-- Claims on queued MTs, so that gateways sharing a store send each MT
-- once: a gateway takes due MTs for a while (claim_until) before sending
-- them; another one takes them over only when that time has passed.
ALTER TABLE outbox ADD COLUMN claimed_by  TEXT    NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claim_until INTEGER;
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE claimed_by <> '';
