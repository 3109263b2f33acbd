"""Test data for certificates: hours in the ledger, graded exams, a paid class (used by the browser flow too)."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from jxjy.credits.services import post_entry
from jxjy.exams.models import AttemptStatus, ExamAttempt
from jxjy.learning.models import Enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

UNIT = "南京市玄武区机关事务管理局"
_ids = itertools.count(1)


def give_hours(user, year=2026, source="online", **hours):
    """Post hours per category (public=16, professional=24, …) from one source, each a new ledger entry."""
    for category, value in hours.items():
        assert post_entry(user=user, year=year, category=category, hours=Decimal(str(value)), source=source,
                          source_id=f"test-{next(_ids)}")  # fmt: skip


def sit_exam(enrollment, score):
    """A graded exam attempt with this score (passed as the class's pass score says)."""
    now = timezone.now()
    number = ExamAttempt.objects.filter(enrollment=enrollment).count() + 1
    return ExamAttempt.objects.create(
        enrollment=enrollment, user=enrollment.user, number=number, status=AttemptStatus.GRADED, paper=[],
        started_at=now - timedelta(minutes=20), deadline=now + timedelta(minutes=10), submitted_at=now,
        score=score, passed=score >= enrollment.training_class.exam_pass_score,
    )  # fmt: skip


def enroll(user, training_class):
    order = orders.place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    return Enrollment.objects.get(user=user, training_class=training_class)
