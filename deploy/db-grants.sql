-- deploy/db-grants.sql — the app role's rights (see deploy/db-roles.sql). As jxjy_owner, in the platform's database,
-- after every `manage.py migrate` (it is idempotent):
--
--   psql "postgres://jxjy_owner@db.internal:5432/jxjy" -v ON_ERROR_STOP=1 -f deploy/db-grants.sql
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO jxjy_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO jxjy_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO jxjy_app;
-- The audit log: read and append, nothing else.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_auditrecord FROM jxjy_app;
-- Tables and sequences that later migrations create (as this role) get the same rights; the audit table exists
-- already, so it keeps the narrower ones above.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO jxjy_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO jxjy_app;
