"""The audit log is append-only in the database itself (PostgreSQL): the owner cannot TRUNCATE it (a trigger), and
the application's own role (deploy/db-roles.sql, deploy/db-grants.sql) can only read and append — connected as that
role, UPDATE, DELETE and TRUNCATE of audit rows and ALTER/DROP of the table all fail."""

import re
import secrets
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from psycopg import errors

from jxjy.audit.models import AuditRecord, Event
from jxjy.audit.services import record

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


@pytest.mark.django_db
def test_req_34_the_owner_cannot_truncate_the_audit_log(alice):
    record(Event.LOGIN, actor=alice)
    with connection.cursor() as cursor:
        # Switched off in the test database only, for Django's flush between transactional tests (conftest.py).
        cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_no_truncate")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("TRUNCATE audit_auditrecord")
    assert AuditRecord.objects.filter(actor=alice).exists()


def _params(**overrides):
    settings = connection.settings_dict
    params = {"host": settings["HOST"] or None, "port": settings["PORT"] or None, "dbname": settings["NAME"],
              "user": settings["USER"], "password": settings["PASSWORD"] or None}  # fmt: skip
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def _script(name, roles):
    """The deploy SQL file, statement by statement, with this test's own role names (roles are cluster-wide)."""
    text = (DEPLOY / name).read_text()
    for role, unique in roles.items():
        text = re.sub(rf"\b{role}\b", unique, text)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in text.split(";") if statement.strip()]


@pytest.fixture
def app_role(transactional_db):
    """Create the roles from deploy/db-roles.sql, run deploy/db-grants.sql as the role that ran the migrations (the
    test database's owner), and yield a connection made as the app role. Everything is dropped afterwards."""
    suffix = secrets.token_hex(4)
    roles = {"jxjy_owner": f"jxjy_owner_t{suffix}", "jxjy_app": f"jxjy_app_t{suffix}"}
    password = secrets.token_urlsafe(16)
    admin = psycopg.connect(**_params(), autocommit=True)
    app = None
    try:
        for statement in _script("db-roles.sql", roles):
            admin.execute(statement)
        admin.execute(f"ALTER ROLE {roles['jxjy_app']} PASSWORD '{password}'")
        for statement in _script("db-grants.sql", roles):
            admin.execute(statement)
        app = psycopg.connect(**_params(user=roles["jxjy_app"], password=password), autocommit=True)
        yield app
    finally:
        if app is not None:
            app.close()
        admin.execute(f"DROP OWNED BY {roles['jxjy_app']}, {roles['jxjy_owner']}")
        admin.execute(f"DROP ROLE IF EXISTS {roles['jxjy_app']}")
        admin.execute(f"DROP ROLE IF EXISTS {roles['jxjy_owner']}")
        admin.close()


INSERT = """INSERT INTO audit_auditrecord (at, event, result, actor_role, actor_city, object_type, object_id,
            request_id, detail) VALUES (now(), 'login', 'ok', '', '', '', '', '', '{}') RETURNING id"""


def test_req_34_the_app_role_can_append_to_the_audit_log_and_nothing_more(app_role):
    assert app_role.execute("SELECT current_user").fetchone()[0].startswith("jxjy_app_t")
    record_id = app_role.execute(INSERT).fetchone()[0]
    assert app_role.execute("SELECT event FROM audit_auditrecord WHERE id = %s", [record_id]).fetchone() == ("login",)
    # The same role works on the application's other tables: the refusals below are about the audit log.
    assert app_role.execute("UPDATE accounts_city SET name = name WHERE code = '320100'").rowcount == 1
    app_role.execute("INSERT INTO django_session VALUES ('rolecheck', 'x', now())")
    assert app_role.execute("DELETE FROM django_session WHERE session_key = 'rolecheck'").rowcount == 1

    refused = [
        "UPDATE audit_auditrecord SET result = 'changed' WHERE id = %(id)s",
        "DELETE FROM audit_auditrecord WHERE id = %(id)s",
        "TRUNCATE audit_auditrecord",
        "ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_append_only",
        "ALTER TABLE audit_auditrecord DROP COLUMN detail",
        "DROP TRIGGER audit_no_truncate ON audit_auditrecord",
        "DROP TABLE audit_auditrecord",
        "CREATE TABLE audit_copy (id int)",
    ]
    for statement in refused:
        with pytest.raises(errors.InsufficientPrivilege):
            app_role.execute(statement, {"id": record_id})
    assert AuditRecord.objects.get(pk=record_id).result == "ok"
