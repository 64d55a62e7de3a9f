-- PagerDuty events the receiver has acted on (or decided to ignore), by
-- PagerDuty's event ID: a delivery PagerDuty retries, or one someone
-- replays, carries the same ID and is answered as a duplicate without
-- acting again.
CREATE TABLE pagerduty_events (
    event_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
