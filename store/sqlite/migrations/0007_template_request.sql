-- The SMS log keeps what an MO asked for (keyword) apart from the reply
-- template an MT was rendered from (template). Until now both lived in
-- keyword; MTs move theirs.
ALTER TABLE sms_log ADD COLUMN template TEXT NOT NULL DEFAULT '';
UPDATE sms_log SET template = keyword, keyword = '' WHERE direction = 'out';
CREATE INDEX sms_log_template ON sms_log (template, id) WHERE template <> '';

-- The inbox keeps the request an MO was classified into when it was stored
-- (PIN-free), so that processing never parses its text again. '' for MOs
-- stored before: they are classified from their stored text.
ALTER TABLE inbox ADD COLUMN request TEXT NOT NULL DEFAULT '';
