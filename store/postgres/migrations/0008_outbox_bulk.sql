-- Bulk MTs (the expiry notices a periodic job queues by the thousand) go
-- out after the replies that are due, so that a customer's answer never
-- waits behind them: the outbox is read in (bulk, sms_id) order.
ALTER TABLE outbox ADD COLUMN bulk INTEGER NOT NULL DEFAULT 0 CHECK (bulk IN (0, 1));
CREATE INDEX outbox_order ON outbox (bulk, sms_id);
