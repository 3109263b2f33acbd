-- deploy/db-roles.sql — the platform's two PostgreSQL roles (README "Deployment", step 1). Once, as a superuser:
--
--   psql -U postgres -v ON_ERROR_STOP=1 -f deploy/db-roles.sql
--   psql -U postgres -c '\password jxjy_owner' -c '\password jxjy_app'
--   createdb -U postgres -O jxjy_owner jxjy
--
-- jxjy_owner  owns the database and every table: `manage.py migrate` runs as it, once per release; then
--             deploy/db-grants.sql, as it, gives the app role its rights.
-- jxjy_app    what gunicorn and the Celery workers connect as (DATABASE_URL in /etc/jxjy/jxjy.env). It reads and
--             writes the application's tables, but the audit log (audit_auditrecord) it may only read and append
--             to: it cannot UPDATE, DELETE or TRUNCATE an audit record, and, owning no table, it cannot ALTER or
--             DROP one or switch off the triggers that guard it (audit migrations 0002 and 0009).
--
-- jxjy/audit/tests/test_db_roles.py runs both files (with its own role names) on the test database and checks all
-- of the above, connected as the app role.
CREATE ROLE jxjy_owner LOGIN;
CREATE ROLE jxjy_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
