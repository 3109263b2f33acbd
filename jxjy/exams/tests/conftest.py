"""A learner whose class is at 100 % (hours in the ledger) and whose selected course has a question bank."""

from decimal import Decimal

import pytest

from jxjy.catalog.models import Category, Course, Question
from jxjy.credits.models import CreditSource
from jxjy.credits.services import post_entry
from jxjy.learning.models import Enrollment, EnrollmentStatus
from jxjy.learning.services import class_courses
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus


def make_bank(course, singles=12, multiples=6, judges=6):
    """Questions whose right answer is always the first option (A; AB for 多选) and whose explanation is a
    marker that must never reach the browser before submission."""
    for i in range(singles):
        Question.objects.create(course=course, kind="single", text=f"单选题{i}", options=[f"对{i}", f"错{i}", f"误{i}"],
                                answer="A", explanation=f"SECRET-EXPLANATION-S{i}")  # fmt: skip
    for i in range(multiples):
        Question.objects.create(course=course, kind="multiple", text=f"多选题{i}",
                                options=[f"甲{i}", f"乙{i}", f"丙{i}", f"丁{i}"], answer="AB",
                                explanation=f"SECRET-EXPLANATION-M{i}")  # fmt: skip
    for i in range(judges):
        Question.objects.create(course=course, kind="judge", text=f"判断题{i}", options=["正确", "错误"], answer="A",
                                explanation=f"SECRET-EXPLANATION-J{i}")  # fmt: skip


def fill_ledger(user, year=2026, public=16, professional=24, elective=8):
    for category, hours in ((Category.PUBLIC, public), (Category.PROFESSIONAL, professional),
                            (Category.ELECTIVE, elective)):  # fmt: skip
        if hours:
            post_entry(user=user, year=year, category=category, hours=Decimal(hours), source=CreditSource.ONLINE,
                       source_id=f"test:{user.pk}:{year}:{category}")  # fmt: skip


def enroll(user, training_class, *, complete=True, course=None):
    """Pay for the class (the learner's 技术等级 set to the class's, as the city office would) and select its
    courses; `course`: the class's course with the bank (a new one by default)."""
    if user.grade != training_class.grade:
        type(user).objects.filter(pk=user.pk).update(grade=training_class.grade)
        user.grade = training_class.grade
    if course is None:
        course = Course.objects.create(title="公共机构节能管理", category=Category.PUBLIC, hours=Decimal("16"))
        make_bank(course)
    training_class.courses.add(course)
    order = orders.place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    enrollment = Enrollment.objects.get(user=user, training_class=training_class)
    class_courses(enrollment)
    if complete:
        fill_ledger(user, training_class.year_id)
        Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.LEARNING)
        enrollment.refresh_from_db()
    return enrollment


@pytest.fixture
def ready(alice, catalog):
    """alice in the 2026 中级工 class at 100 %."""
    return enroll(alice, catalog[(2026, "L4")])
