-- Routes (operators): an MO records the operator whose SMSC delivered it,
-- an MT the operator it leaves through (the MO's for a reply, else the
-- subscriber's last operator or the prefix table's). '' for rows stored
-- before, and for an MO that came over no SMSC: its MTs take the default
-- route.
ALTER TABLE sms_log ADD COLUMN route TEXT NOT NULL DEFAULT '';
-- The operator a subscriber was last seen on: the newest MO of the number
-- that has a route.
CREATE INDEX sms_log_route_seen ON sms_log (msisdn, id) WHERE direction = 'in' AND route <> '';
