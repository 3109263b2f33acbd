"""The data of the fault tests, written through the project's own services into a throwaway database.

Run inside the app's environment by the harness (`manage.py shell -c "from jxjy.tests_faults.setup_data import …"`),
so the rows are written with the same keys (ID-number index, field encryption) the app processes read them with.
Each function prints one line `DATA <json>` that the harness reads back."""

import json
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

PASSWORD = "Demo1234"


def _emit(data) -> None:
    print("DATA " + json.dumps(data))


def _id_number(index: int) -> str:
    from jxjy.lib.idcard import check_char

    first17 = f"32010219800101{index:03d}"
    return first17 + check_char(first17)


def _learner(index: int):
    from jxjy.accounts.models import User, id_number_index

    id_number = _id_number(index)
    user = User(username=id_number_index(id_number), name=f"学员{index}", id_number=id_number, city_id="320100",
                grade="L4")  # fmt: skip
    user.set_mobile(f"137{index:08d}")
    user.set_password(PASSWORD)
    user.save()
    return user


def _class(title: str, *, duration: int = 3600):
    """One open 中级工 class with one 公共课 of one chapter and one courseware (no pop-up questions)."""
    from jxjy.catalog.models import Category, Chapter, Course, Courseware, TrainingClass, TrainingYear

    now = timezone.now()
    year, _ = TrainingYear.objects.get_or_create(year=now.year)
    training_class = TrainingClass.objects.create(
        year=year, grade="L4", title=title, fee=Decimal("120.00"), enroll_start=now - timedelta(days=1),
        enroll_end=now + timedelta(days=30), study_deadline=now + timedelta(days=60),
    )  # fmt: skip
    course = Course.objects.create(title="公共机构节能管理", category=Category.PUBLIC, hours=Decimal("16"))
    training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章")
    courseware = Courseware.objects.create(
        chapter=chapter, title="1.1 概述", video="coursewares/faults.mp4", duration=duration
    )
    return training_class, course, courseware


def _paid_enrollment(user, training_class):
    from jxjy.learning.models import Enrollment
    from jxjy.learning.services import class_courses
    from jxjy.orders.models import OrderStatus
    from jxjy.orders.services import place_order, transition

    order = place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    transition(order, OrderStatus.PAID)
    enrollment = Enrollment.objects.get(user=user, training_class=training_class)
    class_courses(enrollment)  # selects the class's 公共课
    return enrollment


def studying_learners(count: int) -> None:
    """`count` learners in one class, paid and opened, with the class's one courseware to play."""
    training_class, _course, courseware = _class("故障演练网络班")
    learners = []
    for index in range(1, count + 1):
        user = _learner(index)
        enrollment = _paid_enrollment(user, training_class)
        learners.append({"id_number": user.id_number, "user": user.pk, "enrollment": enrollment.pk})
    _emit({"password": PASSWORD, "courseware": courseware.pk, "learners": learners})


def exam_ready_learner() -> None:
    """One learner whose class is at 100 % (hours in the ledger) with a question bank of 12 单选, 6 多选, 6 判断:
    ready to 进入 the exam."""
    from jxjy.catalog.models import Category, Question
    from jxjy.credits.models import CreditSource
    from jxjy.credits.services import post_entry
    from jxjy.learning.models import Enrollment, EnrollmentStatus

    training_class, course, _courseware = _class("故障演练考试班")
    for i in range(12):
        Question.objects.create(course=course, kind="single", text=f"单选题{i}", options=["甲", "乙", "丙"], answer="A")
    for i in range(6):
        Question.objects.create(course=course, kind="multiple", text=f"多选题{i}", options=["甲", "乙", "丙", "丁"],
                                answer="AB")  # fmt: skip
    for i in range(6):
        Question.objects.create(course=course, kind="judge", text=f"判断题{i}", options=["正确", "错误"], answer="A")
    user = _learner(1)
    enrollment = _paid_enrollment(user, training_class)
    for category, hours in ((Category.PUBLIC, 16), (Category.PROFESSIONAL, 24), (Category.ELECTIVE, 8)):
        post_entry(user=user, year=training_class.year_id, category=category, hours=Decimal(hours),
                   source=CreditSource.ONLINE, source_id=f"faults:{user.pk}:{category}")  # fmt: skip
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.LEARNING)
    _emit({"password": PASSWORD, "id_number": user.id_number, "enrollment": enrollment.pk})


def pending_payment(*, age_minutes: int = 0) -> None:
    """One learner with an unpaid order and a 模拟银行 payment started for it (as 立即支付 does), which the learner
    has paid on the bank's page: the bank's trade is SUCCESS, only the platform does not know yet. `age_minutes`
    dates the payment back (past PAYMENT_QUERY_AFTER_MINUTES: one whose notification never came)."""
    from django.test import RequestFactory

    from jxjy.orders.services import place_order
    from jxjy.payments.models import MockBankTrade, Payment
    from jxjy.payments.providers import get_provider
    from jxjy.payments.services import start_payment

    training_class, _course, _courseware = _class("故障演练支付班")
    user = _learner(1)
    order = place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1")
    request.user = user
    payment, _result = start_payment(order=order, provider_name="mockbank", request=request)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=age_minutes))
    trade = MockBankTrade.objects.get(out_trade_no=payment.number)
    get_provider("mockbank").settle(trade, succeeded=True)
    trade.refresh_from_db()
    _emit({"user": user.pk, "order": order.pk, "payment": payment.pk, "number": payment.number,
           "amount": str(payment.amount), "trade_no": trade.trade_no})  # fmt: skip
