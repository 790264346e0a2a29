-- The unprocessed MOs of one sender, found without reading its history:
-- the gateway processes an MO in the transaction that stores it only when
-- no earlier MO of the same sender waits.
CREATE INDEX sms_log_pending_sender ON sms_log (msisdn) WHERE direction = 'in' AND status = 'received';
