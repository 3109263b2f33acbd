"""学员管理 finds a learner by part of the name (`name__contains`, LIKE '%…%'), which no B-tree index serves: at
200,000 learners the province's search read the whole table on every page. On PostgreSQL a trigram GIN index
(pg_trgm, a trusted extension) answers it for any three characters or more of a name. SQLite has no such index and
a table of a few rows needs none, so it is made on PostgreSQL only, outside the model state (a GinIndex in
Meta.indexes would not build on SQLite); jxjy/office/tests/test_list_queries.py checks it is there."""

from django.db import migrations

INDEX = "accounts_user_name_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_user USING gin (name gin_trgm_ops)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_inbox_messages")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
