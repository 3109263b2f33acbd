"""Audit events are dotted names (`auth.login`) with Chinese labels, not database choices: a new event is one line
in jxjy/audit/models.py and needs no migration. Migration 0010 renamed the records stored under the old names."""

import importlib
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from conftest import staff_client
from jxjy.audit import models
from jxjy.audit.models import EVENT_LABELS, AuditRecord, Event, label
from jxjy.audit.services import record

pytestmark = pytest.mark.django_db

dotted = importlib.import_module("jxjy.audit.migrations.0010_dotted_events")


def constants():
    return {name: value for name, value in vars(Event).items() if name.isupper()}


def test_every_event_is_a_dotted_name_with_a_label_that_fits_the_field():
    width = AuditRecord._meta.get_field("event").max_length
    values = list(constants().values())
    assert len(values) == len(set(values)) == len(EVENT_LABELS)
    for value in values:
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", value), value
        assert len(value) <= width and EVENT_LABELS[value]


def test_the_event_field_has_no_choices():
    assert not AuditRecord._meta.get_field("event").choices


def test_a_new_event_needs_no_migration(monkeypatch):
    monkeypatch.setattr(Event, "PROBE_EVENT", models._event("probe.event", "探测事件"), raising=False)
    monkeypatch.setitem(EVENT_LABELS, "probe.event", "探测事件")
    call_command("makemigrations", "audit", "--check", "--dry-run", verbosity=0)  # SystemExit(1) if one is due


def test_the_viewer_shows_the_chinese_label(alice):
    entry = record(Event.LOGIN, actor=alice)
    assert entry.event == "auth.login" and entry.event_label == "登录成功" and "登录成功" in str(entry)
    assert label("someone.elses_event") == "someone.elses_event"  # an unknown name shows as stored


def test_the_admin_lists_and_filters_events_by_their_chinese_names(province_admin, alice):
    record(Event.LOGIN, actor=alice)
    record(Event.LOGOUT, actor=alice)
    page = staff_client(province_admin).get("/admin/audit/auditrecord/", {"event": Event.LOGOUT}).content.decode()
    assert "退出登录" in page and '<td class="field-event_name">登录成功</td>' not in page


def test_migration_0010_renames_every_old_event_to_its_constant():
    assert len(dotted.RENAMED) == 80 and len(set(dotted.RENAMED.values())) == 80
    assert set(dotted.RENAMED.values()) <= set(EVENT_LABELS)
    assert dotted.RENAMED["login"] == Event.LOGIN and dotted.RENAMED["closure_complete"] == Event.CLOSURE_COMPLETE


def _run(step):
    def execute(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)

    step(apps, SimpleNamespace(connection=connection, execute=execute))


def test_migration_0010_renames_stored_records_and_nothing_else(alice):
    old = AuditRecord.objects.bulk_create(
        [
            AuditRecord(event="login", actor=alice, ip="10.0.0.1", detail={"account": "x"}),
            AuditRecord(event="order_transition", result="ok", detail={"after": "paid"}),
            AuditRecord(event="probe.event"),  # not an old name: left alone
        ]
    )
    before = {r.pk: (r.at, r.actor_id, r.ip, r.result, r.detail) for r in AuditRecord.objects.all()}
    _run(dotted.forwards)
    assert dict(AuditRecord.objects.values_list("pk", "event")) == {
        old[0].pk: Event.LOGIN,
        old[1].pk: Event.ORDER_TRANSITION,
        old[2].pk: "probe.event",
    }
    assert {r.pk: (r.at, r.actor_id, r.ip, r.result, r.detail) for r in AuditRecord.objects.all()} == before
    _run(dotted.backwards)
    assert AuditRecord.objects.get(pk=old[0].pk).event == "login"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_migration_0010_leaves_the_append_only_trigger_on(alice):
    entry = AuditRecord.objects.bulk_create([AuditRecord(event="login", actor=alice)])[0]
    _run(dotted.forwards)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET result = 'x' WHERE id = %s", [entry.pk])
    assert AuditRecord.objects.get(pk=entry.pk).event == Event.LOGIN
