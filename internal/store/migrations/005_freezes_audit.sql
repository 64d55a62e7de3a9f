-- Incident freezes ("stop the bleeding"), started by comment or CLI. A
-- freeze applies from starts_at until ends_at (NULL: until someone ends
-- it) or ended_at, whichever comes first. Rows are kept: they are the
-- record of what was frozen when.
CREATE TABLE freezes (
    id           BIGINT PRIMARY KEY,
    owner        TEXT NOT NULL,
    repositories TEXT NOT NULL,
    reason       TEXT NOT NULL,
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    source       TEXT NOT NULL,
    ended_by     TEXT,
    ended_at     BIGINT
);

CREATE INDEX freezes_owner ON freezes (owner, starts_at);

-- What people did through mergeguard (freezes, overrides, holds), for the
-- postmortem: who, when, where, and the details. Kept for
-- MERGEGUARD_AUDIT_RETENTION (400 days by default).
CREATE TABLE audit_log (
    id      TEXT PRIMARY KEY,
    at      BIGINT NOT NULL,
    owner   TEXT NOT NULL,
    repo    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL
);

CREATE INDEX audit_log_owner_at ON audit_log (owner, at);
