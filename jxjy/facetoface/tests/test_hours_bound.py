"""面授班 hours are bounded by the training year's rule: a class stands in for the year's online class (a learner
has one or the other), so in no category may it post more than the year requires of a learner (16 / 24 / 8 by
default) — refused when the class is saved, and capped when attendance posts, should the rule have been lowered."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from jxjy.catalog.models import TrainingYear
from jxjy.credits.models import CreditEntry
from jxjy.facetoface import services
from jxjy.facetoface.models import FaceToFaceBooking, FaceToFaceClass
from jxjy.lib.errors import UserError
from jxjy.office.tests.test_facetoface import form_data, mark

from .helpers import make_class

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("public_hours", "16.5", "不能超过{year}年度的公共课要求（16 学时）"),
        ("professional_hours", "100", "不能超过{year}年度的专业课要求（24 学时）"),
        ("elective_hours", "9", "不能超过{year}年度的选修课要求（8 学时）"),
    ],
)
def test_a_class_cannot_carry_more_hours_than_the_year_requires(nanjing_office, online, year, field, value, message):
    response = nanjing_office.post(reverse("office:facetoface_create"), form_data(**{field: value}))
    assert response.status_code == 400
    assert message.format(year=year) in response.content.decode()
    assert not FaceToFaceClass.objects.exists()


def test_up_to_the_rule_is_accepted(nanjing_office, online):
    data = form_data(public_hours="16", professional_hours="24", elective_hours="8")
    assert nanjing_office.post(reverse("office:facetoface_create"), data).status_code == 302


def test_the_service_refuses_too_many_hours_whatever_the_caller(nanjing_reviewer, online):
    face_class = FaceToFaceClass(year=TrainingYear.objects.get(year=services.current_year()), city_id="320100",
                                 title="x", venue="y", start_date=timezone.localdate(), end_date=timezone.localdate(),
                                 capacity=10, public_hours=Decimal("40"), professional_hours=Decimal("0"),
                                 elective_hours=Decimal("0"))  # fmt: skip
    with pytest.raises(UserError, match="不能超过"):
        services.save_class(face_class=face_class, actor=nanjing_reviewer)
    assert not FaceToFaceClass.objects.exists()


def test_attendance_posts_no_more_than_the_rule_even_after_it_was_lowered(nanjing_office, online, alice):
    face_class = make_class("320100", start_in=-1, days=3)  # 16 / 24 / 8, the year's rule when it was made
    FaceToFaceBooking.objects.create(face_class=face_class, user=alice, booked_at=timezone.now() - timedelta(days=5))
    TrainingYear.objects.filter(pk=face_class.year_id).update(professional_hours=Decimal("20"))
    assert mark(nanjing_office, FaceToFaceBooking.objects.get(user=alice), "attended").status_code == 302
    posted = dict(CreditEntry.objects.filter(user=alice).values_list("category", "hours"))
    assert posted == {"public": Decimal("16"), "professional": Decimal("20"), "elective": Decimal("8")}


def test_the_booking_form_pdf_is_a_download(learner, nanjing_class, alice):
    """报名表 (a PDF the platform makes): an attachment, never shown as a page."""
    booking = services.book(user=alice, face_class=nanjing_class)
    response = learner.get(reverse("facetoface:form", args=[booking.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
