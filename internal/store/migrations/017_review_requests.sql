-- Review requests mergeguard made for a pull request's head commit (the
-- code_owners rule's request_reviews): one per head, claimed before the
-- request is sent, so that a redelivered event or a re-evaluation of the
-- same head does not ask the same people again. A push (a new head) may
-- ask again, for whoever is still missing then.
CREATE TABLE review_requests (
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    head_sha TEXT NOT NULL,
    users TEXT NOT NULL,
    teams TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (repo, number, head_sha)
);
