"""The learner's pages read the same number of queries whatever the learner has (issue 17: pages flat at 200,000
learners): 学员中心 with 1 class or 6, 班级首页 and 在线学习 with 2 courses or 8, 我的订单 with 2 orders or 12,
继续教育档案 with 2 ledger entries or 25, 学习记录 with 2 days or 12, 学时明细 with 2 playbacks or 25. A query per
row (an N+1) makes the second count larger and the test fail."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from jxjy.catalog.models import Category, Chapter, Course, Courseware, TrainingClass, TrainingYear
from jxjy.credits.models import CreditSource
from jxjy.credits.services import post_entry
from jxjy.learning.models import CourseSelection, CoursewareProgress, Enrollment, PlaybackSession
from jxjy.orders.models import Order, OrderLine
from jxjy.testing.queries import queries

pytestmark = pytest.mark.django_db


def assert_flat(client, url, grow, few: int, many: int):
    """The page's query count with `few` rows, then with `many` (grow(n) adds rows up to n)."""
    grow(few)
    queries(client, url)  # warm: a first visit may fill a cache once
    before = queries(client, url)
    grow(many)
    assert queries(client, url) == before


@pytest.fixture
def learner(client, setup):
    client.force_login(setup["user"])
    return client


def an_order(user, training_class, status="paid"):
    now = timezone.now()
    order = Order.objects.create(user=user, status=status, amount=Decimal("120.00"), expires_at=now, paid_at=now)
    line = OrderLine.objects.create(
        order=order,
        training_class=training_class,
        year=training_class.year.year,
        title=training_class.title,
        fee=Decimal("120.00"),
        hours=Decimal("48"),
    )
    return order, line


def test_center_with_one_class_or_six(learner, setup):
    user = setup["user"]

    def grow(n):
        while Enrollment.objects.filter(user=user).count() < n:
            year = TrainingYear.objects.create(year=2000 + Enrollment.objects.filter(user=user).count())
            now = timezone.now()
            training_class = TrainingClass.objects.create(
                year=year,
                grade="L4",
                title=f"{year.year}年度网络班",
                fee=Decimal("120.00"),
                enroll_start=now - timedelta(days=30),
                enroll_end=now + timedelta(days=30),
                study_deadline=now + timedelta(days=60),
            )
            training_class.courses.add(setup["course"])
            _order, line = an_order(user, training_class)
            enrollment = Enrollment.objects.create(
                user=user, training_class=training_class, order_line=line, status="learning"
            )
            CourseSelection.objects.create(enrollment=enrollment, course=setup["course"])

    assert_flat(learner, reverse("learning:center"), grow, 1, 6)


def _courses(setup):
    """grow(n): the class offers n courses (each with a courseware the learner has begun), all selected."""
    enrollment = setup["enrollment"]

    def grow(n):
        while CourseSelection.objects.filter(enrollment=enrollment).count() < n:
            k = CourseSelection.objects.filter(enrollment=enrollment).count()
            course = Course.objects.create(title=f"专业课{k}", category=Category.PROFESSIONAL, hours=Decimal("4"))
            enrollment.training_class.courses.add(course)
            chapter = Chapter.objects.create(course=course, title="第一章")
            courseware = Courseware.objects.create(chapter=chapter, title="1.1", video="x.mp4", duration=300)
            CoursewareProgress.objects.create(enrollment=enrollment, courseware=courseware, watched=120)
            CourseSelection.objects.create(enrollment=enrollment, course=course)

    return grow


def test_class_home_with_two_courses_or_eight(learner, setup):
    url = reverse("learning:class_home", args=[setup["enrollment"].pk])
    assert_flat(learner, url, _courses(setup), 2, 8)


def test_courses_with_two_courses_or_eight(learner, setup):
    url = reverse("learning:courses", args=[setup["enrollment"].pk])
    assert_flat(learner, url, _courses(setup), 2, 8)


def test_my_orders_with_two_orders_or_twelve(learner, setup):
    user, training_class = setup["user"], setup["enrollment"].training_class

    def grow(n):
        while Order.objects.filter(user=user).count() < n:
            an_order(user, training_class, status="cancelled")

    assert_flat(learner, reverse("orders:list"), grow, 2, 12)


def test_archive_with_two_entries_or_twenty_five(learner, setup):
    user = setup["user"]

    def grow(n):
        for k in range(n):
            category = (Category.PROFESSIONAL, Category.ELECTIVE, Category.PUBLIC)[k % 3]
            post_entry(
                user=user,
                year=2026,
                category=category,
                hours=Decimal("0.5"),
                source=CreditSource.ONLINE,
                source_id=f"t:{k}",
            )

    assert_flat(learner, reverse("certificates:archive") + "?year=2026", grow, 2, 25)


def _playbacks(setup, progress_too=True):
    """grow(n): n playbacks of the fixture's courseware, a day apart (each day of 学习记录 one of them)."""
    enrollment, courseware = setup["enrollment"], setup["courseware"]
    if progress_too:
        CoursewareProgress.objects.get_or_create(enrollment=enrollment, courseware=courseware)
    start = timezone.make_aware(datetime(2025, 3, 2, 9))

    def grow(n):
        while PlaybackSession.objects.filter(enrollment=enrollment).count() < n:
            k = PlaybackSession.objects.filter(enrollment=enrollment).count()
            begun = start + timedelta(days=k)
            PlaybackSession.objects.create(
                id=uuid.uuid4(),
                enrollment=enrollment,
                user=enrollment.user,
                courseware=courseware,
                started_at=begun,
                last_beat_at=begun + timedelta(minutes=3),
                credited=120,
                played=150,
                is_current=False,
            )

    return grow


def test_records_with_two_days_or_twelve(learner, setup):
    assert_flat(learner, reverse("learning:records") + "?year=2025", _playbacks(setup), 2, 12)


def test_study_detail_with_two_playbacks_or_twenty_five(learner, setup):
    grow = _playbacks(setup)
    progress = CoursewareProgress.objects.get(enrollment=setup["enrollment"], courseware=setup["courseware"])
    assert_flat(learner, reverse("learning:study_detail", args=[progress.pk]), grow, 2, 25)
