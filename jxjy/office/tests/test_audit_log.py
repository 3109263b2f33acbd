import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from openpyxl import load_workbook

from conftest import staff_client
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord, Event
from jxjy.audit.services import record

URL = "/office/reports/audit/"
EXPORT = "/office/reports/audit/export/"


def _old_record(event, actor, when):
    """A record written `when` (auto_now_add would stamp now, and updates are refused: insert it as it was)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditrecord (at, event, result, actor_id, actor_role, actor_city, object_type,"
            " object_id, request_id, detail) VALUES (%s, %s, 'ok', %s, %s, '', '', '', '', '{}')",
            [when, event, actor.pk, actor.role],
        )


@pytest.fixture
def province(province_admin):
    return staff_client(province_admin)


@pytest.fixture
def nanjing(nanjing_reviewer):
    return staff_client(nanjing_reviewer)


@pytest.fixture
def records(province, nanjing, alice, bob, nanjing_reviewer, suzhou_reviewer, province_admin):
    """南京: alice logs in, the 南京 reviewer approves; 苏州: bob's login fails; the province unlocks alice and bob.
    (Signing the two staff clients in wrote a 登录成功 record each, before these.)"""
    return {
        "alice_login": record(Event.LOGIN, actor=alice),
        "nanjing_approve": record(Event.DECLARATION_APPROVE, actor=nanjing_reviewer),
        "bob_failed": record(Event.LOGIN_FAILED, actor=bob, result="failed"),
        "suzhou_approve": record(Event.DECLARATION_APPROVE, actor=suzhou_reviewer),
        "unlock_alice": record(Event.UNLOCK, actor=province_admin, obj=alice),
        "unlock_bob": record(Event.UNLOCK, actor=province_admin, obj=bob),
    }


def _ids(response):
    return {row["request_id"] for row in response.context["rows"]}


def _events(response):
    return sorted(row["event"] for row in response.context["rows"])


def test_province_sees_everything_with_who_what_when_where(records, province):
    response = province.get(URL)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 6 + 2
    html = response.content.decode()
    assert "+08:00" in html and "登录成功" in html and "账号解锁" in html
    assert f"accounts.User #{records['unlock_bob'].object_id}" in html


def test_req_15_a_city_office_audit_view_has_its_actors_and_learners_only(records, nanjing, alice, nanjing_reviewer):
    response = nanjing.get(URL)
    pks = {row["object"] for row in response.context["rows"]}
    assert _events(response) == sorted(["登录成功", "登录成功", "视同申报通过", "账号解锁"])  # alice's, its own
    assert pks == {"", f"accounts.User #{alice.pk}", f"accounts.User #{nanjing_reviewer.pk}"}
    html = response.content.decode()
    assert "李娜" not in html  # bob, of 苏州


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"event": Event.UNLOCK}, 2),
        ({"result": "failed"}, 1),
        ({"actor": "province"}, 3),
        ({"actor": "张伟"}, 1),
        ({"object_type": "accounts.user"}, 4),  # the two unlocks and the two staff sign-ins
        ({"end": "2000-01-01"}, 0),
    ],
)
def test_filters(records, province, query, expected):
    response = province.get(URL, query)
    assert len(response.context["rows"]) == expected


def test_object_id_and_date_range_filters(records, province, bob):
    client = province
    response = client.get(URL, {"object_type": "accounts.User", "object_id": str(bob.pk)})
    assert [r["event"] for r in response.context["rows"]] == ["账号解锁"]
    today = timezone.localdate()
    response = client.get(URL, {"start": str(today), "end": str(today)})
    assert len(response.context["rows"]) == 6 + 2 + 1  # and the viewing just before
    response = client.get(URL, {"start": str(today + timedelta(days=1))})
    assert response.context["rows"] == []
    response = client.get(URL, {"start": str(today), "end": str(today - timedelta(days=1))})
    assert response.context["rows"] == [] and "结束日期不能早于开始日期" in response.content.decode()


def test_paginated(province):
    AuditRecord.objects.bulk_create([AuditRecord(event=Event.LOGIN, result="ok") for _ in range(118)])
    first = province.get(URL)  # 118 + the sign-in = 119
    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.num_pages == 3
    last = province.get(URL, {"page": 3})  # + the first viewing = 120
    assert len(last.context["rows"]) == 20


def test_viewing_and_exporting_are_audited(records, nanjing, nanjing_reviewer):
    client = nanjing
    client.get(URL, {"event": Event.LOGIN})
    viewed = AuditRecord.objects.get(event=Event.AUDIT_VIEW)
    assert viewed.actor == nanjing_reviewer and viewed.detail["filters"] == {"event": Event.LOGIN}
    response = client.get(EXPORT)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "时间"
    assert all("苏州" not in str(row) and "李娜" not in str(row) for row in rows)
    assert len(rows) - 1 == 5  # its sign-in, the 3 南京 records and the viewing just above
    exported = AuditRecord.objects.get(event=Event.AUDIT_EXPORT)
    assert exported.detail["rows"] == 5


def test_export_writes_text_never_formulas(province):
    user = User.objects.create(username="=cmd|' /C calc'!A0", name="=HYPERLINK(1)", role="province", is_staff=True)
    record(Event.LOGIN, actor=user)
    response = province.get(EXPORT)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("who", ["finance_user", "content_editor"])
@pytest.mark.parametrize("path", [URL, EXPORT])
def test_finance_and_content_editors_are_refused(request, records, who, path):
    assert staff_client(request.getfixturevalue(who)).get(path).status_code == 403


@pytest.mark.parametrize("path", [URL, EXPORT])
def test_read_only_everywhere(records, province, path):
    before = AuditRecord.objects.count()
    assert province.post(path, {"event": "login"}).status_code == 405
    assert province.delete(path).status_code == 405
    assert province.put(path).status_code == 405
    assert AuditRecord.objects.count() == before


def test_req_17_the_django_admin_has_no_add_change_or_delete_of_audit_records(records, province_admin, rf):
    from django.contrib import admin

    model_admin = admin.site._registry[AuditRecord]
    request = rf.get("/")
    request.user = province_admin  # a superuser: the admin would allow anything not switched off
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, records["alice_login"])
    assert not model_admin.has_delete_permission(request, records["alice_login"])
    assert "delete_selected" not in model_admin.get_actions(request)


def test_records_are_append_only_in_the_application(records):
    entry = records["alice_login"]
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="PostgreSQL trigger")
def test_the_database_refuses_update_and_delete(records):
    from django.db import DatabaseError

    before = AuditRecord.objects.count()
    for statement in ("UPDATE audit_auditrecord SET result = 'x'", "DELETE FROM audit_auditrecord"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditRecord.objects.count() == before


def test_records_older_than_180_days_are_kept_and_queryable(province, province_admin):
    """Retention (网络安全法 第21条, ≥ 6 months): nothing in the platform purges audit records — no periodic
    job names them — and a record from 200 days ago is still found by the viewer's date filter."""
    for name, entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
        assert "audit" not in entry["task"] and "audit" not in name
    _old_record(Event.LOGIN, province_admin, timezone.now() - timedelta(days=200))
    day = timezone.localdate() - timedelta(days=200)
    response = province.get(URL, {"start": str(day), "end": str(day)})
    assert [row["event"] for row in response.context["rows"]] == ["登录成功"]
