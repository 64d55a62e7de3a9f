-- The input document each evaluation was made from, so that a policy change
-- can be replayed on past pull requests (mergeguard replay, and the policy
-- repository's check). Gzip-compressed JSON, base64-encoded so that the
-- column is TEXT in both databases; NULL when the compressed document was
-- larger than mergeguard stores (input_size then says how large it was) or
-- for evaluations recorded before this migration. The rows are the audit
-- trail's, so the documents are kept as long as it is.
ALTER TABLE evaluations ADD COLUMN input TEXT;

ALTER TABLE evaluations ADD COLUMN input_version BIGINT NOT NULL DEFAULT 0;

ALTER TABLE evaluations ADD COLUMN input_size BIGINT NOT NULL DEFAULT 0;
