"""Ordering: 预报名清单, place an order, the order's state machine, closing unpaid orders, and the listed learner's
side of 单位统一报名缴费 (确认 / 拒绝 an invitation; the unit submitting its order for the confirmed learners)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jxjy.accounts.models import Grade, User
from jxjy.accounts.services import update_profile
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import TrainingClass, YearClaim, YearClaimSource
from jxjy.catalog.services import YearTaken, claim_year, release_year
from jxjy.lib.errors import UserError
from jxjy.lib.states import IllegalMove, move

from .models import InvitationStatus, Order, OrderLine, OrderStatus, PreEnrollment, UnitInvitation
from .signals import order_paid, order_refunded, refund_requested


def facetoface_taken(year) -> str:
    return f"您已报名{year}年度面授班，不能再报名网络班。如需改报网络班，请先在“面授班”中取消报名。"


class GradeMissing(UserError):
    """The learner has no 技术等级 on their account yet: they are sent to 账号设置 to fill it in."""

    def __init__(self):
        super().__init__("请先在“账号设置”中填写您的技术等级，再报名网络班。")


# --- 您的技术等级, asked at the first visit to 网络班报名 ----------------------------------------------------


def set_own_grade(*, user, grade) -> User:
    """A learner with no 技术等级 yet states it (it decides which classes they may order). Once set, only the city
    office changes it (accounts.learners.change_city_and_grade), so a second answer is refused. Saved and audited
    like any 基础信息 change (accounts.services.update_profile); the account row is locked so two taps save once."""
    if grade not in Grade.values:
        raise UserError("请选择您的技术等级。", field="grade")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.grade:
            raise UserError("您的技术等级已经填写过了。如需更改，请到所在市工考办办理。", field="grade")
        update_profile(user=user, changes={"grade": grade})
    return user


# --- 预报名清单 ---------------------------------------------------------------------------------


def add_to_pre_enrollment(*, user, training_class) -> bool:
    """Add a class to the list; False if it was already there."""
    check_orderable(user, [training_class])
    _, created = PreEnrollment.objects.get_or_create(user=user, training_class=training_class)
    return created


def remove_from_pre_enrollment(*, user, class_ids) -> None:
    PreEnrollment.objects.filter(user=user, training_class_id__in=class_ids).delete()


# --- Rules -------------------------------------------------------------------------------------


def check_grade(user, classes) -> None:
    """A learner orders only the classes of their own 技术等级 (User.grade, changed by the city office): GradeMissing
    when they have none yet, UserError naming both grades when a class is of another."""
    if not user.grade:
        raise GradeMissing()
    for training_class in classes:
        if training_class.grade != user.grade:
            raise UserError(
                f"“{training_class.title}”是{training_class.get_grade_display()}的班级，您的技术等级是"
                f"{Grade(user.grade).label}，只能报名本人技术等级的班级。技术等级有变化的，请联系所在市工考办修改。"
            )


def check_orderable(user, classes, now=None) -> None:
    """Raise UserError with the learner-facing reason if these classes cannot be ordered together now."""
    now = now or timezone.now()
    if not classes:
        raise UserError("请至少选择一个班级。")
    years = [c.year_id for c in classes]
    if len(set(years)) != len(years):
        raise UserError("每个培训年度只能报一个班级，请不要同时选择同一年度的多个班级。")
    check_grade(user, classes)
    held = {claim.year_id: claim for claim in YearClaim.objects.filter(user=user, year_id__in=years)}
    for training_class in classes:
        if not training_class.is_published:
            raise UserError(f"“{training_class.title}”暂不开放报名。")
        if now < training_class.enroll_start:
            raise UserError(f"“{training_class.title}”尚未开始报名。")
        if now >= training_class.enroll_end:
            raise UserError(f"“{training_class.title}”报名已截止。")
        claim = held.get(training_class.year_id)
        if claim is None:
            continue
        if claim.source == YearClaimSource.ONLINE:
            line = OrderLine.objects.filter(pk=claim.source_id).select_related("order").first()
            if line and line.order.user_id != user.pk:  # listed in a 单位统一报名 order
                raise UserError(f"您已由单位统一报名{training_class.year_id}年度的班级，请联系单位的报名联系人。")
            if line and line.training_class_id == training_class.pk:
                state = "待支付" if line.order.status == OrderStatus.PENDING else "已支付"
                raise UserError(
                    f"“{training_class.title}”已在您的订单 {line.order.number} 中（{state}），请到“我的订单”查看。"
                )
        if claim.source == YearClaimSource.FACE_TO_FACE:
            raise UserError(facetoface_taken(training_class.year_id))
        raise YearTaken(training_class.year_id)


# --- Placing an order --------------------------------------------------------------------------


def payment_timeout():
    return timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)


def _add_line(order, training_class, *, learner=None) -> OrderLine:
    """A line copying the class's title, fee and hours as sold (later catalogue edits never rewrite it), which
    takes its learner's place for the year: YearTaken when another class holds it. Inside the caller's transaction."""
    line = OrderLine.objects.create(
        order=order,
        training_class=training_class,
        year=training_class.year_id,
        title=training_class.title,
        fee=training_class.fee,
        hours=training_class.required_hours,
        learner=learner,
    )
    claim_year(user=_learner(order, line), year=line.year, source=YearClaimSource.ONLINE, source_id=line.pk)
    return line


@transaction.atomic
def place_order(*, user, class_ids, invoice: dict, actor=None) -> Order:
    """提交订单: one order for one or more classes (of different years); each line copies the class's title,
    fee and hours and takes the learner's place for its year (the database refuses a second one). Only classes of
    the learner's own 技术等级, read from the locked account row, can be ordered."""
    user = User.objects.select_for_update().get(pk=user.pk)  # one checkout at a time per learner
    classes = list(TrainingClass.objects.filter(pk__in=class_ids).select_related("year"))
    if len(classes) != len(set(class_ids)):
        raise UserError("所选班级不存在或已下架，请重新选择。")
    check_orderable(user, classes)
    now = timezone.now()
    order = Order.objects.create(
        user=user, amount=sum(c.fee for c in classes), created_at=now, expires_at=now + payment_timeout(), **invoice
    )
    for training_class in classes:
        try:
            _add_line(order, training_class)
        except YearTaken:
            year = training_class.year_id
            held = YearClaim.objects.filter(user=user, year_id=year).values_list("source", flat=True).first()
            if held == YearClaimSource.FACE_TO_FACE:
                raise UserError(facetoface_taken(year)) from None
            raise
    remove_from_pre_enrollment(user=user, class_ids=[c.pk for c in classes])
    record(Event.ORDER_PLACE, actor=actor or user, obj=order, number=order.number, amount=str(order.amount))
    return order


# --- The state machine -------------------------------------------------------------------------


def transition(order: Order, to: str, *, actor=None, reason: str = "") -> Order:
    """Move an order to `to` (`lib.states.move`: locks the row, returns quietly when already there, refuses an
    illegal move, audits) and keep the year claims and invitations in step. The apps above hear of a payment or a
    refund through `order_paid` / `order_refunded`, sent inside this transaction (learning opens or closes the
    classes; a receiver's refusal undoes the move)."""
    now = timezone.now()
    stamp = {"paid_at": now} if to == OrderStatus.PAID else {"ended_at": now} if to in Order.RELEASING else {}
    refusal = f"订单{{state}}，不能变为{OrderStatus(to).label}。"
    with transaction.atomic():
        order, before = move(
            order, to, event=Event.ORDER_TRANSITION, actor=actor, message=refusal, detail={"reason": reason}, **stamp
        )
        if before is None:
            return order
        lines = list(order.lines.all())
        if to == OrderStatus.PAID:
            _reclaim_years(order, lines)
            order_paid.send(sender=Order, order=order, lines=lines, actor=actor)
        if to in Order.RELEASING:
            if before == OrderStatus.AWAITING:
                _expire_invitations(order, now)
            if to == OrderStatus.REFUNDED:
                order_refunded.send(sender=Order, order=order, lines=lines, actor=actor)
            for line in lines:
                release_year(
                    user=_learner(order, line), year=line.year, source=YearClaimSource.ONLINE, source_id=line.pk
                )
    return order


def refund_refusal(order: Order) -> str:
    """Why the order's classes may not be refunded now ('' when they may), asked of the apps above through
    `refund_requested` inside the caller's transaction; what they judged stays locked until it ends."""
    lines = list(order.lines.all())
    for _, refusal in refund_requested.send(sender=Order, order=order, lines=lines):
        if refusal:
            return refusal
    return ""


def _learner(order, line):
    """Who a line enrolls: the listed staff member of a 单位统一报名 order, else the buyer."""
    return line.learner if line.learner_id else order.user


def _reclaim_years(order, lines):
    """A late payment accepted for a closed or cancelled order takes its years back, if still free."""
    for line in lines:
        if not YearClaim.objects.filter(source=YearClaimSource.ONLINE, source_id=line.pk).exists():
            try:
                claim_year(user=_learner(order, line), year=line.year, source=YearClaimSource.ONLINE, source_id=line.pk)
            except YearTaken as exc:
                raise IllegalMove(exc.message) from None


def cancel_order(*, order: Order, actor) -> Order:
    """取消订单 by the learner (or a unit's contact person), for an unpaid order."""
    if order.status not in (OrderStatus.PENDING, OrderStatus.AWAITING):
        raise UserError("只有待支付的订单可以取消。")
    return transition(order, OrderStatus.CANCELLED, actor=actor, reason="learner")


def close_expired_orders(now=None) -> int:
    """Close unpaid orders past their payment deadline, and units' orders past the time their staff had to confirm
    (run every minute by Celery beat): the years they held are free again."""
    now = now or timezone.now()
    closed = 0
    expired = Order.objects.filter(status__in=[OrderStatus.PENDING, OrderStatus.AWAITING], expires_at__lte=now)
    for order in expired.only("pk"):
        try:
            transition(order, OrderStatus.CLOSED, reason="timeout")
            closed += 1
        except IllegalMove:
            pass  # paid or cancelled meanwhile
    return closed


# --- 单位统一报名缴费: the listed learner confirms, the unit pays for those who did ------------------------------


def _expire_invitations(order, now):
    order.invitations.filter(status=InvitationStatus.PENDING).update(status=InvitationStatus.EXPIRED, decided_at=now)


def invitation_is_open(invitation, now=None) -> bool:
    order = invitation.order
    return (
        invitation.status == InvitationStatus.PENDING
        and order.status == OrderStatus.AWAITING
        and order.expires_at > (now or timezone.now())
    )


def confirm_invitation(*, invitation: UnitInvitation, actor) -> OrderLine:
    """确认 a 单位统一报名 invitation, by the listed learner on their own account: their line joins the unit's order
    and takes their year for that class, under the same rules as ordering it themselves (their 技术等级, the
    enrolment period, one class a year: refused cleanly when they already have one). Safe to call twice.

    Locks the unit's order, then the learner's account row (as place_order does), so a confirmation and the
    learner's own checkout or the unit's submission run one after the other; the unique YearClaim decides."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=invitation.order_id)
        learner = User.objects.select_for_update().get(pk=invitation.learner_id)
        invitation = UnitInvitation.objects.select_related("training_class").get(pk=invitation.pk)
        if invitation.learner_id != actor.pk:
            raise UserError("这不是您的报名邀请。")
        if invitation.status == InvitationStatus.CONFIRMED:
            return invitation.line
        invitation.order = order
        now = timezone.now()
        if not invitation_is_open(invitation, now):
            raise UserError("这个报名邀请已失效（单位已提交订单、取消了报名，或已超过确认期限）。")
        training_class = invitation.training_class
        check_orderable(learner, [training_class], now=now)
        line = _add_line(order, training_class, learner=learner)  # YearTaken leaves the block: no line is kept
        invitation.status, invitation.line, invitation.decided_at = InvitationStatus.CONFIRMED, line, now
        invitation.save(update_fields=["status", "line", "decided_at"])
        order.amount = sum((fee for fee in order.lines.values_list("fee", flat=True)), Decimal("0"))
        order.save(update_fields=["amount"])
        remove_from_pre_enrollment(user=learner, class_ids=[training_class.pk])
        record(Event.UNIT_INVITATION_CONFIRM, actor=actor, obj=invitation, order=order.number, year=line.year)
    return line


def decline_invitation(*, invitation: UnitInvitation, actor) -> UnitInvitation:
    """拒绝 a 单位统一报名 invitation: nothing of the learner's is held, and the unit cannot pay for them."""
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=invitation.order_id)
        invitation = UnitInvitation.objects.select_related("order").get(pk=invitation.pk)
        if invitation.learner_id != actor.pk:
            raise UserError("这不是您的报名邀请。")
        if invitation.status == InvitationStatus.DECLINED:
            return invitation
        if invitation.status == InvitationStatus.CONFIRMED:
            raise UserError("您已确认参加这次单位统一报名。如需退出，请联系单位的报名联系人取消该订单。")
        if not invitation_is_open(invitation):
            raise UserError("这个报名邀请已失效，无需处理。")
        invitation.status, invitation.decided_at = InvitationStatus.DECLINED, timezone.now()
        invitation.save(update_fields=["status", "decided_at"])
        record(Event.UNIT_INVITATION_DECLINE, actor=actor, obj=invitation, order=invitation.order.number)
    return invitation


def submit_unit_order(*, order: Order, actor) -> Order:
    """提交订单 for a unit's confirmed learners: the order is priced from their lines only and becomes 待支付 (the
    usual payment deadline); invitations nobody answered lapse, so nobody is paid for without having agreed."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.user_id != actor.pk:
            raise UserError("这不是您的订单。")
        if order.status == OrderStatus.PENDING:
            return order
        if order.status != OrderStatus.AWAITING:
            raise IllegalMove(f"订单{order.get_status_display()}，不能再提交。")
        now = timezone.now()
        if order.expires_at <= now:
            raise UserError("已超过学员确认期限，这个订单已不能提交，请重新提交名单。")
        fees = list(order.lines.values_list("fee", flat=True))
        if not fees:
            raise UserError("还没有学员确认参加，暂时不能提交订单。")
        _expire_invitations(order, now)
        order.status, order.amount = OrderStatus.PENDING, sum(fees, Decimal("0"))
        order.expires_at = now + payment_timeout()
        order.save(update_fields=["status", "amount", "expires_at"])
        record(
            Event.ORDER_TRANSITION,
            actor=actor,
            obj=order,
            before=OrderStatus.AWAITING,
            after=OrderStatus.PENDING,
            reason="unit order submitted",
        )
        record(
            Event.UNIT_ORDER_PLACE,
            actor=actor,
            obj=order,
            number=order.number,
            amount=str(order.amount),
            learners=len(fees),
        )
    return order
