-- The last commit of each organization's policy repository that compiled,
-- so on_policy_error: last_good still has a fallback after a restart.
CREATE TABLE policy_last_good (
    owner      TEXT PRIMARY KEY,
    sha        TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
