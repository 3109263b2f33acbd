"""Issue 14 point 1: every page that speaks of a year's hours says what the 继续教育档案 says.

alice's 2026 class asks 16 / 24 / 8 学时, and 视同申报 count at most half the professional requirement (12). She
studied 16 公共课, 8 专业课 and 8 选修课 online and has 16 专业课 of approved 视同申报 (approved while the
province allowed more): 4 of them do not count. The raw ledger says 48 of 48 学时; the standing says 44."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import staff_client
from jxjy.catalog.models import Category, Course, Question
from jxjy.certificates.tests.helpers import enroll, give_hours, sit_exam
from jxjy.credits.services import post_entry
from jxjy.exams.models import AttemptStatus, ExamAttempt
from jxjy.learning.models import Enrollment, EnrollmentStatus
from jxjy.learning.services import class_courses

pytestmark = pytest.mark.django_db

TITLE = "2026年度工勤人员继续教育网络班（中级工）"
GATE = "学习进度达到 100% 后才能参加考试，现在 91%（专业课还差 4 学时）。"


def _figure(html, key):
    start = html.index(f'data-figure="{key}"')
    return html[start : html.index("</dd>", start)].rsplit(">", 1)[1]


@pytest.fixture
def over_cap(alice, catalog):
    """alice in the 2026 中级工 class, studying, with a three-question exam and the hours above."""
    training_class = catalog[(2026, "L4")]
    training_class.exam_single, training_class.exam_multiple, training_class.exam_judge = 3, 0, 0
    training_class.save(update_fields=["exam_single", "exam_multiple", "exam_judge"])
    course = Course.objects.create(title="公共机构节能管理", category=Category.PUBLIC, hours=Decimal("16"))
    for i in range(3):
        Question.objects.create(course=course, kind="single", text=f"题{i}", options=["对", "错"], answer="A")
    training_class.courses.add(course)
    enrollment = enroll(alice, training_class)
    class_courses(enrollment)
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.LEARNING)
    give_hours(alice, public=16, professional=8, elective=8)
    for n, hours in enumerate((Decimal("10"), Decimal("6"))):
        post_entry(
            user=alice,
            year=2026,
            category=Category.PROFESSIONAL,
            hours=hours,
            source="declaration",
            source_id=f"declaration:{900 + n}:0",
        )
    enrollment.refresh_from_db()
    return enrollment


def test_pages_gate_completion_archive_and_report_agree_on_the_cap(client, alice, over_cap, province_admin):
    client.force_login(alice)

    home = client.get(reverse("learning:class_home", args=[over_cap.pk])).content.decode()
    assert 'aria-label="总进度 91%"' in home and "学时已达到要求" not in home
    assert re.search(r"<strong>专业课</strong><span>20 / 24 学时</span>", home)
    assert "还差 4 学时" in home
    assert "视同申报只计入专业课和选修课，最多 12 学时（专业课要求的一半），超出部分不计入。" in home
    assert "学习进度 91%" in client.get(reverse("learning:center")).content.decode()

    exam = client.get(reverse("exams:exam", args=[over_cap.pk])).content.decode()
    assert GATE in exam
    client.post(reverse("exams:enter", args=[over_cap.pk]))
    assert not ExamAttempt.objects.exists()

    # An exam already under way (entered before the hours changed) is passed: the class still is not 已结业.
    now = timezone.now()
    paper = [{"q": pk, "o": [0, 1]} for pk in Question.objects.values_list("pk", flat=True)]
    attempt = ExamAttempt.objects.create(
        enrollment=over_cap, user=alice, number=1, paper=paper, started_at=now, deadline=now + timedelta(minutes=30)
    )
    for entry in paper:
        url = reverse("exams:answer", args=[over_cap.pk, attempt.pk])
        assert client.post(url, {"question": entry["q"], "answer": ["A"]}).json() == {"saved": True}
    client.post(reverse("exams:submit", args=[over_cap.pk, attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.score == 100
    over_cap.refresh_from_db()
    assert over_cap.status == EnrollmentStatus.LEARNING
    assert "未结业" in client.get(reverse("learning:class_home", args=[over_cap.pk])).content.decode()

    archive = client.get(reverse("certificates:archive"), {"year": 2026}).content.decode()
    assert "未完成（本年度进行中）" in archive and "还差 4 学时（专业课还差 4 学时）" in archive
    assert TITLE not in client.get(reverse("certificates:list")).content.decode()
    assert "该年度尚未合格" in client.post(reverse("certificates:print"), {"year": 2026}, follow=True).content.decode()

    report = staff_client(province_admin).get("/office/reports/", {"year": 2026}).content.decode()
    assert (_figure(report, "progress_50"), _figure(report, "progress_100")) == ("1", "0")


def test_within_the_cap_every_page_says_100_percent_and_qualified(client, alice, over_cap, province_admin):
    give_hours(alice, professional=4)
    client.force_login(alice)
    home = client.get(reverse("learning:class_home", args=[over_cap.pk])).content.decode()
    assert 'aria-label="总进度 100%"' in home and "学时已达到要求，可以参加考试。" in home
    exam = client.get(reverse("exams:exam", args=[over_cap.pk])).content.decode()
    assert "班级进度达到 100% 才能参加考试" not in exam
    sit_exam(over_cap, 90)
    assert TITLE in client.get(reverse("certificates:list")).content.decode()
    archive = client.get(reverse("certificates:archive"), {"year": 2026}).content.decode()
    assert '<span class="result-badge is-ok">合格</span>' in archive
    report = staff_client(province_admin).get("/office/reports/", {"year": 2026}).content.decode()
    assert (_figure(report, "progress_50"), _figure(report, "progress_100")) == ("0", "1")
