SET lock_timeout = '2s';
SET statement_timeout = '10s';
COPY countries (code, name) FROM stdin;
ci	CÃ´te d'Ivoire
nl	the "Netherlands"
\.
CREATE INDEX countries_name_idx ON countries (name);
