-- Overrides: a person let one rule's failure through for one head commit
-- (or across pushes, when the configuration keeps it for that rule).
-- Rows are kept after they stop applying: they are the record of what was
-- merged past which rule, by whom, and why.
CREATE TABLE overrides (
    id           TEXT PRIMARY KEY,
    repo_id      BIGINT NOT NULL,
    repo         TEXT NOT NULL,
    pr_number    BIGINT NOT NULL,
    rule         TEXT NOT NULL,
    head_sha     TEXT NOT NULL,
    keep_on_push BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE INDEX overrides_pr ON overrides (repo_id, pr_number);

-- Holds block a pull request until someone releases them.
CREATE TABLE holds (
    id          TEXT PRIMARY KEY,
    repo_id     BIGINT NOT NULL,
    repo        TEXT NOT NULL,
    pr_number   BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    released_by TEXT,
    released_at BIGINT
);

CREATE INDEX holds_pr ON holds (repo_id, pr_number);

-- Every published evaluation: what was decided about which commit, under
-- which policy, why it ran, and how long it took.
CREATE TABLE evaluations (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    owner       TEXT NOT NULL,
    repo        TEXT NOT NULL,
    pr_number   BIGINT NOT NULL,
    head_sha    TEXT NOT NULL,
    policy      TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    conclusion  TEXT NOT NULL,
    rules       TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    delivery_id TEXT NOT NULL
);

CREATE INDEX evaluations_owner_at ON evaluations (owner, at);

CREATE INDEX evaluations_repo_pr ON evaluations (repo, pr_number, at);
