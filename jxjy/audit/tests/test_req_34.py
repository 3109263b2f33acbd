"""Security requirement 34: a forged username cannot forge a log line, and audit records stay queryable for at least
180 days (the app role's rights on them: test_db_roles.py)."""

import io
import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from freezegun import freeze_time

from conftest import make_staff, staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.audit.services import record

pytestmark = pytest.mark.django_db
FORGED = "a\r\nFAKE ENTRY"


@pytest.fixture
def log_output():
    """Everything logged, written the way production writes it (settings.LOGGING's console handler: its filters
    and its format), into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    for name in settings.LOGGING["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(settings.LOGGING["filters"][name]["()"])())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)


def test_req_34_forged_username_is_logged_encoded_on_one_line(client, log_output):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):  # to the lockout, which django-axes logs with the username
        client.post(reverse("office:login"), {"username": FORGED, "password": "wrong-password-1",
                                              "captcha_0": "x", "captcha_1": "PASSED"})  # fmt: skip
    assert client.get("/a%0D%0AFAKE%20ENTRY/").status_code == 404  # Django logs the decoded path of a 404
    output = log_output.getvalue()
    assert "FAKE ENTRY" in output  # it was logged …
    assert "\r" not in output
    lines = output.splitlines()
    assert not any(line.startswith("FAKE ENTRY") for line in lines)  # … never as a line of its own
    assert all("a\\r\\nFAKE ENTRY" in line for line in lines if "FAKE ENTRY" in line)
    failures = AuditRecord.objects.filter(event=Event.LOGIN_FAILED)
    assert failures.count() >= settings.AXES_FAILURE_LIMIT  # one record a try, the typed name kept as data
    assert all(entry.detail["account"] == FORGED for entry in failures)


def test_req_34_audit_records_180_days_old_are_still_queryable():
    auditor = make_staff("auditor-34", "auditor")
    old = timezone.now() - timedelta(days=200)
    with freeze_time(old):
        kept = record(Event.LOGIN_FAILED, result="failed", account="old-account")
    for task in settings.CELERY_BEAT_SCHEDULE.values():  # every periodic job runs; none may remove it
        import_string(task["task"]).apply()
    assert AuditRecord.objects.filter(pk=kept.pk, at__lte=timezone.now() - timedelta(days=180)).exists()
    day = timezone.localtime(old).date().isoformat()
    response = staff_client(auditor).get(reverse("office:audit_log"), {"start": day, "end": day})
    assert response.status_code == 200
    assert kept.pk in [item.pk for item in response.context["page"].object_list]
