-- A check run belongs to a commit, and several open pull requests can share
-- a head commit (one branch proposed into main and into a release branch).
-- Each pull request's verdict on a head is kept here; the check run shows
-- the strictest of them.
CREATE TABLE head_verdicts (
    repo_id     BIGINT NOT NULL,
    head_sha    TEXT NOT NULL,
    pr_number   BIGINT NOT NULL,
    base_ref    TEXT NOT NULL,
    conclusion  TEXT NOT NULL,
    output      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (repo_id, head_sha, pr_number)
);

CREATE INDEX head_verdicts_pr ON head_verdicts (repo_id, pr_number);

-- Publishing on a commit is serialised by a short lease, so two evaluations
-- of pull requests sharing the commit cannot both create a check run.
ALTER TABLE check_runs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE check_runs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
