"""Ordering: 预报名清单, place an order, the order's state machine, closing unpaid orders."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jxjy.accounts.models import User
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import TrainingClass, YearClaim, YearClaimSource
from jxjy.catalog.services import YearTaken, claim_year, release_year
from jxjy.learning import services as learning

from .models import Order, OrderLine, OrderStatus, PreEnrollment


def facetoface_taken(year) -> str:
    return f"您已报名{year}年度面授班，不能再报名网络班。如需改报网络班，请先在“面授班”中取消报名。"


class OrderError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class IllegalTransition(OrderError):
    pass


# --- 预报名清单 ---------------------------------------------------------------------------------


def add_to_pre_enrollment(*, user, training_class) -> bool:
    """Add a class to the list; False if it was already there."""
    check_orderable(user, [training_class])
    _, created = PreEnrollment.objects.get_or_create(user=user, training_class=training_class)
    return created


def remove_from_pre_enrollment(*, user, class_ids) -> None:
    PreEnrollment.objects.filter(user=user, training_class_id__in=class_ids).delete()


# --- Rules -------------------------------------------------------------------------------------


def check_orderable(user, classes, now=None) -> None:
    """Raise OrderError with the learner-facing reason if these classes cannot be ordered together now."""
    now = now or timezone.now()
    if not classes:
        raise OrderError("请至少选择一个班级。")
    years = [c.year_id for c in classes]
    if len(set(years)) != len(years):
        raise OrderError("每个培训年度只能报一个班级，请不要同时选择同一年度的多个班级。")
    held = {claim.year_id: claim for claim in YearClaim.objects.filter(user=user, year_id__in=years)}
    for training_class in classes:
        if not training_class.is_published:
            raise OrderError(f"“{training_class.title}”暂不开放报名。")
        if now < training_class.enroll_start:
            raise OrderError(f"“{training_class.title}”尚未开始报名。")
        if now >= training_class.enroll_end:
            raise OrderError(f"“{training_class.title}”报名已截止。")
        claim = held.get(training_class.year_id)
        if claim is None:
            continue
        if claim.source == YearClaimSource.ONLINE:
            line = OrderLine.objects.filter(pk=claim.source_id).select_related("order").first()
            if line and line.order.user_id != user.pk:  # listed in a 单位统一报名 order
                raise OrderError(f"您已由单位统一报名{training_class.year_id}年度的班级，请联系单位的报名联系人。")
            if line and line.training_class_id == training_class.pk:
                state = "待支付" if line.order.status == OrderStatus.PENDING else "已支付"
                raise OrderError(
                    f"“{training_class.title}”已在您的订单 {line.order.number} 中（{state}），请到“我的订单”查看。"
                )
        if claim.source == YearClaimSource.FACE_TO_FACE:
            raise OrderError(facetoface_taken(training_class.year_id))
        raise OrderError(YearTaken(training_class.year_id).message)


# --- Placing an order --------------------------------------------------------------------------


def payment_timeout():
    return timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)


@transaction.atomic
def place_order(*, user, class_ids, invoice: dict, actor=None) -> Order:
    """提交订单: one order for one or more classes (of different years); each line copies the class's title,
    fee and hours and takes the learner's place for its year (the database refuses a second one)."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one checkout at a time per learner
    classes = list(TrainingClass.objects.filter(pk__in=class_ids).select_related("year"))
    if len(classes) != len(set(class_ids)):
        raise OrderError("所选班级不存在或已下架，请重新选择。")
    check_orderable(user, classes)
    now = timezone.now()
    order = Order.objects.create(
        user=user, amount=sum(c.fee for c in classes), created_at=now, expires_at=now + payment_timeout(), **invoice
    )
    for training_class in classes:
        line = OrderLine.objects.create(
            order=order,
            training_class=training_class,
            year=training_class.year_id,
            title=training_class.title,
            fee=training_class.fee,
            hours=training_class.required_hours,
        )
        try:
            claim_year(user=user, year=line.year, source=YearClaimSource.ONLINE, source_id=line.pk)
        except YearTaken as exc:
            held = YearClaim.objects.filter(user=user, year_id=line.year).values_list("source", flat=True).first()
            raise OrderError(
                facetoface_taken(line.year) if held == YearClaimSource.FACE_TO_FACE else exc.message
            ) from None
    remove_from_pre_enrollment(user=user, class_ids=[c.pk for c in classes])
    record(Event.ORDER_PLACE, actor=actor or user, obj=order, number=order.number, amount=str(order.amount))
    return order


# --- The state machine -------------------------------------------------------------------------


def transition(order: Order, to: str, *, actor=None, reason: str = "") -> Order:
    """Move an order to `to`: locks the row, returns quietly when already there, refuses an illegal move,
    keeps the year claims and enrollments in step, and writes the audit log."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == to:
            return order
        if not order.can_move_to(to):
            raise IllegalTransition(f"订单{order.get_status_display()}，不能变为{OrderStatus(to).label}。")
        before = order.status
        now = timezone.now()
        order.status = to
        fields = ["status"]
        if to == OrderStatus.PAID:
            order.paid_at = now
            fields.append("paid_at")
            _reclaim_years(order)
            for line in order.lines.all():
                learning.open_enrollment(line=line, actor=actor)
        if to in Order.RELEASING:
            order.ended_at = now
            fields.append("ended_at")
            for line in order.lines.all():
                if to == OrderStatus.REFUNDED:
                    learning.close_enrollment_for_refund(line=line, actor=actor)
                release_year(
                    user=_learner(order, line), year=line.year, source=YearClaimSource.ONLINE, source_id=line.pk
                )
        order.save(update_fields=fields)
        record(Event.ORDER_TRANSITION, actor=actor, obj=order, before=before, after=to, reason=reason)
    return order


def _learner(order, line):
    """Who a line enrolls: the listed staff member of a 单位统一报名 order, else the buyer."""
    return line.learner if line.learner_id else order.user


def _reclaim_years(order):
    """A late payment accepted for a closed or cancelled order takes its years back, if still free."""
    for line in order.lines.all():
        if not YearClaim.objects.filter(source=YearClaimSource.ONLINE, source_id=line.pk).exists():
            try:
                claim_year(user=_learner(order, line), year=line.year, source=YearClaimSource.ONLINE, source_id=line.pk)
            except YearTaken as exc:
                raise IllegalTransition(exc.message) from None


def cancel_order(*, order: Order, actor) -> Order:
    """取消订单 by the learner, for an unpaid order."""
    if order.status != OrderStatus.PENDING:
        raise OrderError("只有待支付的订单可以取消。")
    return transition(order, OrderStatus.CANCELLED, actor=actor, reason="learner")


def close_expired_orders(now=None) -> int:
    """Close unpaid orders past their payment deadline (run every minute by Celery beat)."""
    now = now or timezone.now()
    closed = 0
    for order in Order.objects.filter(status=OrderStatus.PENDING, expires_at__lte=now).only("pk"):
        try:
            transition(order, OrderStatus.CLOSED, reason="timeout")
            closed += 1
        except IllegalTransition:
            pass  # paid or cancelled meanwhile
    return closed
