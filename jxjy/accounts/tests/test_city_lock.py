"""A learner's 所属地市 decides which city office sees them, and 技术等级 which class they may buy (issue 12 item 1).

The learner sets them in 账号设置 until a city office has acted on something of theirs (a claim, a booking, an import)
or, for the grade, once it is set; from then on only the city office changes them (学员管理, audited). An empty city
is refused."""

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.declarations.tests.test_declarations import filed
from jxjy.facetoface.tests.helpers import make_class

pytestmark = pytest.mark.django_db

PROFILE = {"gender": "M", "work_unit": "南京市某管理处", "email": ""}


def save_profile(user, **data):
    client = Client()
    client.force_login(user)
    return client.post(reverse("accounts:settings_profile"), {**PROFILE, **data})


def test_a_learner_sets_city_and_grade_while_nothing_is_with_a_city_office(alice):
    alice.grade = ""
    alice.save(update_fields=["grade"])
    assert save_profile(alice, city="320500", grade="L4").status_code == 302
    alice.refresh_from_db()
    assert (alice.city_id, alice.grade) == ("320500", "L4")


def test_an_empty_city_is_refused(alice):
    response = save_profile(alice, city="", grade="L4")
    assert response.status_code == 200 and "请选择所属地市" in response.content.decode()
    alice.refresh_from_db()
    assert alice.city_id == "320100"


def test_the_grade_once_set_changes_only_through_the_city_office(alice):
    assert alice.grade == "L4"
    save_profile(alice, city="320100", grade="L1")
    alice.refresh_from_db()
    assert alice.grade == "L4"


def test_a_claim_locks_the_city(alice, catalog, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with freeze_time("2026-11-28 10:00"):
        filed(alice)
    alice.refresh_from_db()
    assert alice.city_locked_at is not None
    save_profile(alice, city="320500", grade="L4")
    alice.refresh_from_db()
    assert alice.city_id == "320100"


def test_a_booking_locks_the_city(alice, catalog):
    face_class = make_class("320100")
    client = Client()
    client.force_login(alice)
    client.post(reverse("facetoface:book", args=[face_class.pk]))
    alice.refresh_from_db()
    assert alice.city_locked_at is not None
    save_profile(alice, city="320500")
    alice.refresh_from_db()
    assert alice.city_id == "320100"


def test_the_city_office_moves_a_learner_audited(alice, nanjing_reviewer, suzhou_reviewer):
    alice.lock_city()
    url = reverse("office:learners_city_grade", args=[alice.pk])
    # Without a note nothing changes.
    staff_client(nanjing_reviewer).post(url, {"city": "320500", "grade": "L4", "note": ""})
    alice.refresh_from_db()
    assert alice.city_id == "320100"
    # Another city's office cannot.
    assert staff_client(suzhou_reviewer).post(url, {"city": "320500", "grade": "L4", "note": "x"}).status_code == 404
    response = staff_client(nanjing_reviewer).post(url, {"city": "320500", "grade": "L4", "note": "调动，凭调令"})
    assert response.status_code == 302 and response["Location"] == reverse("office:learners_search")
    alice.refresh_from_db()
    assert (alice.city_id, alice.grade) == ("320500", "L4")
    entry = AuditRecord.objects.get(event=Event.LEARNER_CITY_GRADE)
    assert entry.actor == nanjing_reviewer
    assert entry.detail["changes"] == {"city": ["320100", "320500"]}
    # Now 苏州's learner: 南京 no longer sees them, 苏州 does.
    assert staff_client(nanjing_reviewer).get(reverse("office:learners_detail", args=[alice.pk])).status_code == 404
    assert staff_client(suzhou_reviewer).get(reverse("office:learners_detail", args=[alice.pk])).status_code == 200
