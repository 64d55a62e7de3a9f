-- Lookups that ran as scans: the open pull requests at a head commit (each
-- coverage upload) and whether an action was already audited (each merge).
CREATE INDEX pr_queue_head_sha ON pr_queue (head_sha);

CREATE INDEX audit_log_action_subject ON audit_log (action, subject);
