-- The number in the form the network uses for it: for an MO the sender
-- address as it arrived (digits, TON, NPI), for an MT the address it
-- answers, so that a reply goes back in the form its MO came in. addr is
-- '' when unknown (rows stored before, MTs that answer no MO): the MT is
-- then addressed to msisdn.
ALTER TABLE sms_log ADD COLUMN addr     TEXT    NOT NULL DEFAULT '';
ALTER TABLE sms_log ADD COLUMN addr_ton INTEGER NOT NULL DEFAULT 0 CHECK (addr_ton BETWEEN 0 AND 255);
ALTER TABLE sms_log ADD COLUMN addr_npi INTEGER NOT NULL DEFAULT 0 CHECK (addr_npi BETWEEN 0 AND 255);
