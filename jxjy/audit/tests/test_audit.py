import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.audit.services import record

pytestmark = pytest.mark.django_db


def test_record_carries_who_where_and_request_id(alice):
    from jxjy.lib.request_context import request_id

    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    request.user = alice
    token = request_id.set("abc123def456")
    try:
        entry = record(Event.PROFILE_CHANGE, request=request, obj=alice, fields=["email"])
    finally:
        request_id.reset(token)
    assert entry.actor == alice
    assert entry.actor_role == "learner"
    assert entry.actor_city == "320100"
    assert entry.ip == "10.1.2.3"
    assert entry.object_type == "accounts.User" and entry.object_id == str(alice.pk)
    assert entry.request_id == "abc123def456"
    assert entry.at.utcoffset() is not None


def test_records_are_append_only_in_the_application(alice):
    entry = record(Event.LOGIN, actor=alice)
    entry.result = "changed"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
def test_database_refuses_update_and_delete(alice):
    entry = record(Event.LOGIN, actor=alice)
    for statement in (
        "UPDATE audit_auditrecord SET result = 'x' WHERE id = %s",
        "DELETE FROM audit_auditrecord WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    assert AuditRecord.objects.get(pk=entry.pk).result == "ok"


def test_admin_cannot_change_or_delete(client, province_admin, alice):
    entry = record(Event.LOGIN, actor=alice)
    client = staff_client(province_admin)
    assert client.get(f"/admin/audit/auditrecord/{entry.pk}/delete/").status_code == 403
    response = client.post(f"/admin/audit/auditrecord/{entry.pk}/change/", {"result": "x"})
    assert response.status_code == 403
    assert client.get("/admin/audit/auditrecord/").status_code == 200
