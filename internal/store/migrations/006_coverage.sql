-- Coverage reports uploaded by CI, one per repository, commit and flag
-- (unit, integration, …): the flags of a commit are merged when a pull
-- request is evaluated. data is the parsed report, gzipped JSON in base64.
CREATE TABLE coverage_reports (
    repo        TEXT NOT NULL,
    sha         TEXT NOT NULL,
    flag        TEXT NOT NULL,
    format      TEXT NOT NULL,
    files       BIGINT NOT NULL,
    lines       BIGINT NOT NULL,
    data        TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (repo, sha, flag)
);

CREATE INDEX coverage_reports_uploaded_at ON coverage_reports (uploaded_at);

-- The head commit each pull request was last evaluated at, and since when:
-- an upload for that commit re-evaluates the pull request, and a rule
-- waiting for coverage knows how long it has waited.
ALTER TABLE pr_queue ADD COLUMN head_sha TEXT;

ALTER TABLE pr_queue ADD COLUMN head_seen_at BIGINT;

CREATE INDEX pr_queue_head ON pr_queue (repo_id, head_sha);
