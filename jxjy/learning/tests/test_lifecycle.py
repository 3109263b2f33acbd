"""Learning owns its classes' lifecycle (issue 14): orders and exams never move an enrollment themselves. Orders
tells learning through its signals, exams calls `complete_enrollment`, and every move is one audited `move`."""

import pytest
from freezegun import freeze_time

from jxjy.audit.models import AuditRecord, Event
from jxjy.learning import services
from jxjy.learning.models import Enrollment, EnrollmentStatus
from jxjy.lib.states import IllegalMove
from jxjy.orders import services as orders
from jxjy.orders.models import Order, OrderStatus
from jxjy.orders.signals import order_paid, order_refunded, refund_requested

from .test_heartbeat import START, Player, play_honestly

pytestmark = pytest.mark.django_db


def records(event, enrollment):
    return AuditRecord.objects.filter(event=event, object_id=str(enrollment.pk))


def test_learning_answers_the_orders_signals():
    for signal in (order_paid, order_refunded, refund_requested):
        assert signal.has_listeners(Order)


def test_a_paid_order_opens_its_class_once(setup):
    enrollment = setup["enrollment"]
    assert enrollment.status == EnrollmentStatus.OPENED
    assert records(Event.ENROLLMENT_OPEN, enrollment).count() == 1
    orders.transition(enrollment.order_line.order, OrderStatus.PAID)  # again: quiet
    assert Enrollment.objects.count() == 1 and records(Event.ENROLLMENT_OPEN, enrollment).count() == 1


def test_a_class_nobody_studied_may_be_refunded_and_is_closed_by_the_refund(setup):
    enrollment = setup["enrollment"]
    order = enrollment.order_line.order
    assert orders.refund_refusal(order) == ""
    orders.transition(order, OrderStatus.REFUNDED, reason="学员申请")
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REFUNDED and enrollment.closed_at is not None
    assert records(Event.ENROLLMENT_REFUND, enrollment).count() == 1


def test_the_first_credited_time_starts_learning_and_a_studied_class_refuses_a_refund(setup):
    enrollment = setup["enrollment"]
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=60)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.LEARNING
    started = records(Event.ENROLLMENT_START, enrollment).get()  # one record, however many credited heartbeats
    assert started.actor_id == setup["user"].pk and started.detail["after"] == EnrollmentStatus.LEARNING
    order = enrollment.order_line.order
    assert orders.refund_refusal(order) == f"“{enrollment.order_line.title}”已开始学习，不能退款。"
    with pytest.raises(IllegalMove, match="已开始学习"):  # and a refund that did not ask is refused by the move
        orders.transition(order, OrderStatus.REFUNDED)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_start_learning_is_quiet_when_repeated_and_refused_for_a_refunded_class(setup):
    enrollment = setup["enrollment"]
    assert services.start_learning(enrollment) and services.start_learning(enrollment)
    assert records(Event.ENROLLMENT_START, enrollment).count() == 1
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.REFUNDED)
    assert not services.start_learning(enrollment)


def test_complete_enrollment_moves_only_a_class_being_studied(setup):
    enrollment = setup["enrollment"]
    assert not services.complete_enrollment(enrollment, actor=setup["user"], score=80)  # 已开通: stays
    assert Enrollment.objects.get().status == EnrollmentStatus.OPENED
    services.start_learning(enrollment)
    assert services.complete_enrollment(enrollment, actor=setup["user"], score=80)
    assert services.complete_enrollment(enrollment, actor=setup["user"], score=90)  # twice: quiet
    assert Enrollment.objects.get().status == EnrollmentStatus.COMPLETED
    completed = records(Event.ENROLLMENT_COMPLETE, enrollment).get()
    assert completed.detail["score"] == 80
