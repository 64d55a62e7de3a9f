-- When each pull request was seen at which head: from the webhook payloads
-- that carry the pull request and from the reads commands make. An
-- override or a hold's release applies to the head its comment was
-- written on, worked out from these and the comment's time. from_at is
-- GitHub's time (the pull request's updated_at), to_at when mergeguard
-- received it, both in Unix milliseconds; the head was seen between them.
CREATE TABLE head_sightings (
    repo_id   BIGINT NOT NULL,
    pr_number BIGINT NOT NULL,
    head_sha  TEXT NOT NULL,
    from_at   BIGINT NOT NULL,
    to_at     BIGINT NOT NULL,
    opened    BIGINT NOT NULL,
    PRIMARY KEY (repo_id, pr_number, head_sha, from_at, to_at)
);

CREATE INDEX head_sightings_to_at ON head_sightings (to_at);
