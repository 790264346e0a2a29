-- A partner's refid (and a bank's payment reference, stored as the refid of
-- a VA request) identifies one request whatever its letter case: "B-1" and
-- "b-1" are the same request. The first spelling is kept and shown; the
-- unique index compares case-insensitively (refids are ASCII, which NOCASE
-- folds).
--
-- Requests that differ only in case from an earlier one of the same partner
-- were stored before this rule (and may have been credited twice). They are
-- kept, as every partner request is, marked refid_dup = 1 and left out of
-- the index; lookups by refid find the first request.
ALTER TABLE partner_requests ADD COLUMN refid_dup INTEGER NOT NULL DEFAULT 0 CHECK (refid_dup IN (0, 1));

-- Final requests are immutable; lift that for the one-time marking only.
DROP TRIGGER partner_requests_final;
UPDATE partner_requests SET refid_dup = 1
WHERE EXISTS (
	SELECT 1 FROM partner_requests AS first
	WHERE first.partner = partner_requests.partner
	  AND first.refid = partner_requests.refid COLLATE NOCASE
	  AND first.id < partner_requests.id
);
CREATE TRIGGER partner_requests_final BEFORE UPDATE ON partner_requests
WHEN OLD.state IN ('success', 'failed')
BEGIN
	SELECT RAISE(ABORT, 'final partner requests are immutable');
END;

CREATE UNIQUE INDEX partner_requests_refid_nocase ON partner_requests (partner, refid COLLATE NOCASE)
WHERE refid_dup = 0;
