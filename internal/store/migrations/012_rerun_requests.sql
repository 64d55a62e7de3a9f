-- Re-run requests waiting for their pull request's next evaluation: someone
-- pressed Re-run on the check (or its suite), or commented a recheck
-- command. The evaluation that answers one writes the check run even when
-- its verdict is unchanged, and then deletes the request. One row per pull
-- request: the latest request is the one answered.
CREATE TABLE rerun_requests (
    repo_id BIGINT NOT NULL,
    pr_number BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    via TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, pr_number)
);
