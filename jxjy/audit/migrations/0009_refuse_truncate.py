"""On PostgreSQL the database refuses TRUNCATE of audit records too (0002 refuses UPDATE and DELETE, row by row;
TRUNCATE fires no row trigger). A statement-level trigger: it stops `manage.py flush` or a stray TRUNCATE by the
table's owner. The application's own database role cannot TRUNCATE at all (deploy/db-roles.sql)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: TRUNCATE refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditrecord
    FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditrecord;
DROP FUNCTION IF EXISTS audit_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_event_choices_callable")]
    operations = [migrations.RunPython(forwards, backwards)]
