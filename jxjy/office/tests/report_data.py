"""Hand-computed data for the year report: two cities, 2026, the catalog's 中级工 (¥120) and 高级工 (¥150) classes.

南京 (320100)                                    苏州 (320500)
  n1 中级工 paid, 48/48 h → 100 %, exam 80, cert   s1 中级工 paid, 16+12 h → 58 %, exam 60 (pass)
  n2 中级工 paid, 8 h → 16 %, exam 40 (fail)       s2 中级工 paid, no hours → 0 %
  n3 高级工 ordered, not paid                      s3 面授 absent
  n4 高级工 paid then refunded
  n5 面授 attended, n6 面授 booked
  视同申报: n1 approved 6 h, n2 pending 4 h,         视同申报: s1 approved 8 h, s2 rejected
            n2 withdrawn (not counted)
"""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from conftest import make_learner
from jxjy.certificates.models import Certificate
from jxjy.credits.services import post_entry
from jxjy.declarations.models import Declaration
from jxjy.exams.models import AttemptStatus, ExamAttempt
from jxjy.facetoface.models import FaceToFaceBooking, FaceToFaceClass
from jxjy.learning.models import Enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

NANJING, SUZHOU = "320100", "320500"
_ids = itertools.count(1)
_people = itertools.count(1)

EXPECTED = {
    NANJING: dict(enrolled=4, paid=2, revenue=Decimal("240.00"), refunded=Decimal("150.00"), progress_0=0,
                  progress_1=1, progress_50=0, progress_100=1, exam_taken=2, exam_passed=1, exam_pass_rate=50.0,
                  certificates=1, declarations=2, declarations_approved=1, declaration_hours=Decimal("6"),
                  f2f_booked=2, f2f_attended=1, f2f_absent=0),
    SUZHOU: dict(enrolled=2, paid=2, revenue=Decimal("240.00"), refunded=Decimal("0.00"), progress_0=1,
                 progress_1=0, progress_50=1, progress_100=0, exam_taken=1, exam_passed=1, exam_pass_rate=100.0,
                 certificates=0, declarations=2, declarations_approved=1, declaration_hours=Decimal("8"),
                 f2f_booked=1, f2f_attended=0, f2f_absent=1),
}  # fmt: skip
TOTAL = dict(enrolled=6, paid=4, revenue=Decimal("480.00"), refunded=Decimal("150.00"), progress_0=1, progress_1=1,
             progress_50=1, progress_100=1, exam_taken=3, exam_passed=2, exam_pass_rate=66.7, certificates=1,
             declarations=4, declarations_approved=2, declaration_hours=Decimal("14"), f2f_booked=3,
             f2f_attended=1, f2f_absent=1)  # fmt: skip


def learner(city, grade="L4"):
    n = next(_people)
    first17 = f"{city}{1970 + n % 30}0101{n % 1000:03d}"
    user = make_learner(f"学员{n}", first17, city=city)
    user.grade = grade
    user.save(update_fields=["grade"])
    return user


def hours(user, year=2026, **by_category):
    for category, value in by_category.items():
        post_entry(user=user, year=year, category=category, hours=Decimal(str(value)), source="online",
                   source_id=f"report-test-{next(_ids)}")  # fmt: skip


def order(user, training_class, status=OrderStatus.PAID):
    placed = orders.place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    if status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        orders.transition(placed, OrderStatus.PAID)
    if status == OrderStatus.REFUNDED:
        orders.transition(placed, OrderStatus.REFUNDED)
    return Enrollment.objects.filter(user=user, training_class=training_class).first()


def exam(enrollment, score):
    now = timezone.now()
    return ExamAttempt.objects.create(
        enrollment=enrollment, user=enrollment.user, number=1, status=AttemptStatus.GRADED, paper=[],
        started_at=now - timedelta(minutes=20), deadline=now + timedelta(minutes=10), submitted_at=now,
        score=score, passed=score >= 60,
    )  # fmt: skip


def certificate(enrollment):
    n = next(_ids)
    return Certificate.objects.create(
        user=enrollment.user, year=2026, enrollment=enrollment, number=f"T2026{n:08d}", token=f"token-{n}",
        check_code="ABCD", content={}, signature="x", issued_at=timezone.now(),
    )  # fmt: skip


def declaration(user, status, approved=None):
    return Declaration.objects.create(
        user=user, year_id=2026, kind="research", title="研修", organiser="省人社厅", start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 2), hours_claimed=Decimal(str(approved or 4)), status=status,
        hours_approved=Decimal(str(approved)) if approved else None,
    )  # fmt: skip


def booking(user, face_class, status):
    return FaceToFaceBooking.objects.create(face_class=face_class, user=user, status=status,
                                            booked_at=timezone.now())  # fmt: skip


def build(catalog):
    """The data in the module docstring; returns the learners by name."""
    l4, l3 = catalog[(2026, "L4")], catalog[(2026, "L3")]
    people = {}
    people["n1"] = n1 = learner(NANJING)
    e = order(n1, l4)
    hours(n1, public=16, professional=24, elective=8)
    exam(e, 80)
    certificate(e)
    people["n2"] = n2 = learner(NANJING)
    e = order(n2, l4)
    hours(n2, public=8)
    exam(e, 40)
    people["n3"] = n3 = learner(NANJING, "L3")
    order(n3, l3, OrderStatus.PENDING)
    people["n4"] = n4 = learner(NANJING, "L3")
    order(n4, l3, OrderStatus.REFUNDED)
    people["s1"] = s1 = learner(SUZHOU)
    e = order(s1, l4)
    hours(s1, public=16, professional=12)
    exam(e, 60)
    people["s2"] = s2 = learner(SUZHOU)
    order(s2, l4)
    # Hours of another year never count toward 2026.
    hours(s2, year=2025, public=16)

    declaration(n1, "approved", 6)
    declaration(n2, "pending")
    declaration(n2, "withdrawn")
    declaration(s1, "approved", 8)
    declaration(s2, "rejected")

    today = timezone.localdate()
    face_class = FaceToFaceClass.objects.create(
        year_id=2026, city_id=NANJING, title="面授班", venue="南京", start_date=today, end_date=today, capacity=30,
        public_hours=Decimal("8"), professional_hours=Decimal("8"), elective_hours=Decimal("0"),
    )  # fmt: skip
    people["n5"] = n5 = learner(NANJING)
    booking(n5, face_class, "attended")
    people["n6"] = n6 = learner(NANJING)
    booking(n6, face_class, "booked")
    people["s3"] = s3 = learner(SUZHOU)
    booking(s3, face_class, "absent")
    return people
