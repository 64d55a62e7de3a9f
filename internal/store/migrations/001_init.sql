-- Every accepted webhook delivery, so that a redelivery of the same
-- X-GitHub-Delivery is acknowledged without being processed twice.
CREATE TABLE webhook_deliveries (
    delivery_id     TEXT PRIMARY KEY,
    event           TEXT NOT NULL,
    action          TEXT NOT NULL,
    installation_id BIGINT NOT NULL,
    repo_id         BIGINT NOT NULL,
    repo            TEXT NOT NULL,
    pr_number       BIGINT NOT NULL,
    received_at     BIGINT NOT NULL
);

CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);

-- One row per pull request that has had events. seq counts events; job_id is
-- the River job that will evaluate the pull request's latest state, or NULL
-- when none is pending. A job clears job_id only if seq did not move while it
-- worked, so no event is ever lost between "evaluated" and "done".
CREATE TABLE pr_queue (
    repo_id         BIGINT NOT NULL,
    pr_number       BIGINT NOT NULL,
    installation_id BIGINT NOT NULL,
    repo            TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    job_id          BIGINT,
    first_event_at  BIGINT NOT NULL,
    last_event_at   BIGINT NOT NULL,
    event           TEXT NOT NULL,
    action          TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    PRIMARY KEY (repo_id, pr_number)
);

-- The check run mergeguard owns for each head commit, what it last showed,
-- and which annotations it already carries: GitHub appends annotations on
-- every update, so they must not be sent twice.
CREATE TABLE check_runs (
    repo_id       BIGINT NOT NULL,
    head_sha      TEXT NOT NULL,
    name          TEXT NOT NULL,
    check_run_id  BIGINT NOT NULL,
    output_digest TEXT NOT NULL,
    annotations   TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (repo_id, head_sha, name)
);
