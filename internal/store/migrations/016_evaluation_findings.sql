-- The findings of each evaluation's rules (what the check run said), so the
-- web view's evaluation page can show them after the check run has moved
-- on. JSON, bounded when written; '' for evaluations recorded before.
ALTER TABLE evaluations ADD COLUMN findings TEXT NOT NULL DEFAULT '';
