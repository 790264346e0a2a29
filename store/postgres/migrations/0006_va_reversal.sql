-- A bank partner may reverse a VA payment it confirmed: the reversal is a
-- partner request of its own (its own refid, trxid, status and callback)
-- of kind 'va_reversal', whose reverses_id is the payment it reverses.
ALTER TABLE partner_requests DROP CONSTRAINT partner_requests_kind_check;
ALTER TABLE partner_requests ADD CONSTRAINT partner_requests_kind_check
	CHECK (kind IN ('topup', 'payment', 'va', 'va_reversal'));
ALTER TABLE partner_requests ADD COLUMN reverses_id BIGINT REFERENCES partner_requests (id);
ALTER TABLE partner_requests ADD CONSTRAINT partner_requests_reverses_check
	CHECK ((kind = 'va_reversal') = (reverses_id IS NOT NULL));
CREATE INDEX partner_requests_reverses ON partner_requests (reverses_id) WHERE reverses_id IS NOT NULL;
