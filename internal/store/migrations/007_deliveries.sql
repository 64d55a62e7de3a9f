-- Every verified delivery that needed no job of its own (a ping, a push, an
-- event mergeguard ignores, a payload it could not use), so that the job
-- asking GitHub to redeliver missed deliveries knows these arrived. Those
-- that concern a pull request or become a job are in webhook_deliveries;
-- together the two tables hold every X-GitHub-Delivery mergeguard handled.
CREATE TABLE webhook_receipts (
    delivery_id TEXT PRIMARY KEY,
    event       TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

CREATE INDEX webhook_receipts_received_at ON webhook_receipts (received_at);

-- The redeliveries mergeguard asked GitHub for, one row per
-- X-GitHub-Delivery: so that neither a restart nor another replica asks
-- twice in one window, and a delivery that keeps failing is given up after a
-- few requests instead of being redelivered forever.
CREATE TABLE webhook_redeliveries (
    delivery_id  TEXT PRIMARY KEY,
    event        TEXT NOT NULL,
    requests     BIGINT NOT NULL,
    attempt_id   BIGINT NOT NULL,
    requested_at BIGINT NOT NULL,
    gave_up_at   BIGINT
);

CREATE INDEX webhook_redeliveries_requested_at ON webhook_redeliveries (requested_at);
