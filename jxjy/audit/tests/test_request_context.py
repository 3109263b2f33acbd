"""The request's address, id and signed-in user reach the audit log from the request context (RequestIdMiddleware
sets it), so a service takes no `request` argument just to write its record: called inside a request its record
names that request; called outside one (a task, a command, a test) it names none."""

import pytest
from django.urls import reverse

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import Category, Course
from jxjy.catalog.questionbank import export_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    return Course.objects.create(title="安全生产", category=Category.PUBLIC, hours=1)


def test_a_service_called_inside_a_request_records_its_address_id_and_user(content_editor, course):
    client = staff_client(content_editor)
    url = reverse("office:content_questions_export", args=[course.pk])
    response = client.get(url, REMOTE_ADDR="10.9.8.7")  # the view calls export_workbook(course): no request
    assert response.status_code == 200
    entry = AuditRecord.objects.get(event=Event.QUESTION_EXPORT)
    assert entry.ip == "10.9.8.7"
    assert entry.request_id and entry.request_id == response["X-Request-ID"]
    assert entry.actor == content_editor and entry.actor_role == "content"


def test_the_same_service_outside_a_request_records_none(course):
    export_workbook(course)
    entry = AuditRecord.objects.get(event=Event.QUESTION_EXPORT)
    assert entry.ip is None and entry.request_id == "" and entry.actor is None
