"""Role × page × action: each role sees and does exactly what it may in the back office (issue 7, security §C).

Pages a role may not use answer 403 (and the refusal is audited); objects outside a city office's city answer 404;
the anonymous are sent to the staff sign-in. The matrix is the specification: a new back-office page belongs here.
(That a city office's report and exports hold only its own city is proven in jxjy/office/tests/test_reports.py and
jxjy/office/tests/test_audit_log.py.)"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import make_staff, staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.declarations.tests.test_declarations import filed
from jxjy.facetoface.models import FaceToFaceBooking
from jxjy.facetoface.tests.helpers import make_class

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

ROLES = (
    "province",
    "nanjing",
    "suzhou",
    "finance",
    "content",
    "sysadmin",
    "secadmin",
    "auditor",
    "learner",
    "anonymous",
)
ALLOWED = {  # page → roles that get 200; every other signed-in role 403, the anonymous a redirect
    "office:home": {"province", "nanjing", "suzhou", "finance", "content", "sysadmin", "secadmin", "auditor"},
    "office:staff_list": {"province", "sysadmin", "secadmin"},
    "office:declarations_list": {"province", "nanjing", "suzhou"},
    "office:facetoface_list": {"province", "nanjing", "suzhou"},
    "office:learners_search": {"province", "nanjing", "suzhou"},
    "office:learners_import": {"province", "nanjing", "suzhou"},
    "office:content_course_list": {"province", "content"},
    "office:content_course_create": {"province", "content"},
    "office:finance_orders": {"province", "finance"},
    "office:finance_payments": {"province", "finance"},
    "office:finance_invoices": {"province", "finance"},
    "office:finance_refunds": {"province", "finance"},
    "office:reports_year": {"province", "nanjing", "suzhou", "finance"},
    "office:audit_log": {"province", "nanjing", "suzhou", "secadmin", "auditor"},
    "office:audit_export": {"province", "nanjing", "suzhou", "secadmin", "auditor"},
}


@pytest.fixture
def people(province_admin, nanjing_reviewer, suzhou_reviewer, finance_user, content_editor, alice):
    return {"province": province_admin, "nanjing": nanjing_reviewer, "suzhou": suzhou_reviewer,
            "finance": finance_user, "content": content_editor, "learner": alice,
            "sysadmin": make_staff("sys", "sysadmin"), "secadmin": make_staff("sec", "secadmin"),
            "auditor": make_staff("aud", "auditor")}  # fmt: skip


def client_as(people, role):
    if role == "anonymous":
        return Client()
    if role == "learner":
        client = Client()
        client.force_login(people["learner"])
        return client
    return staff_client(people[role])


@pytest.mark.parametrize("page", sorted(ALLOWED))
def test_each_role_sees_exactly_the_pages_it_may(people, page):
    url = reverse(page)
    for role in ROLES:
        response = client_as(people, role).get(url)
        if role == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/office/login/"), (page, role)
        elif role in ALLOWED[page]:
            assert response.status_code == 200, (page, role, response.status_code)
        else:
            assert response.status_code == 403, (page, role, response.status_code)


def test_refusals_are_audited(people):
    staff_client(people["content"]).get(reverse("office:finance_payments"))
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=people["content"]).exists()


def test_a_suzhou_office_gets_404_on_nanjing_objects(people):
    alice = people["learner"]
    with freeze_time("2026-11-28 10:00"):
        claim = filed(alice)
    face_class = make_class("320100", start_in=-1)
    booking = FaceToFaceBooking.objects.create(face_class=face_class, user=alice,
                                               booked_at=timezone.now() - timedelta(days=9))  # fmt: skip
    nanjing, suzhou = staff_client(people["nanjing"]), staff_client(people["suzhou"])
    gets = [
        reverse("office:declarations_detail", args=[claim.pk]),
        reverse("declarations:attachment", args=[claim.attachments.get().pk]),
        reverse("office:learners_detail", args=[alice.pk]),
        reverse("office:facetoface_detail", args=[face_class.pk]),
        reverse("office:facetoface_export", args=[face_class.pk]),
    ]
    for url in gets:
        assert nanjing.get(url).status_code == 200, url
        assert suzhou.get(url).status_code == 404, url
    posts = [
        (reverse("office:declarations_detail", args=[claim.pk]), {"action": "approve", "approve-hours": "12"}),
        (reverse("office:facetoface_attendance", args=[booking.pk]), {"status": "attended"}),
        (reverse("office:learners_unlock", args=[alice.pk]), {}),
        (reverse("office:learners_reset_password", args=[alice.pk]), {}),
    ]
    for url, data in posts:
        assert suzhou.post(url, data).status_code == 404, url
    claim.refresh_from_db()
    booking.refresh_from_db()
    assert claim.status == "pending" and booking.status == "booked"


def test_finance_cannot_edit_courses_and_content_cannot_see_payments(people):
    finance, content = staff_client(people["finance"]), staff_client(people["content"])
    data = {"title": "财务不该建的课", "category": "public", "hours": "4", "is_active": "on"}
    assert finance.post(reverse("office:content_course_create"), data).status_code == 403
    from jxjy.catalog.models import Course

    assert not Course.objects.filter(title="财务不该建的课").exists()
    for page in ("office:finance_payments", "office:finance_orders", "office:finance_refunds"):
        assert content.get(reverse(page)).status_code == 403
    assert content.get(reverse("office:reports_year")).status_code == 403
