"""单位统一报名缴费: a unit's contact person lists the unit's staff; each listed learner is invited (待确认, an SMS)
and confirms or declines on their own account (services.confirm_invitation); the unit then pays one order for those
who confirmed (services.submit_unit_order). The page's limits against probing for accounts are here too."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jxjy.accounts.models import Grade, Role, User, id_number_index
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import TrainingClass, YearClaim
from jxjy.lib import ratelimit
from jxjy.lib.errors import UserError
from jxjy.lib.idcard import InvalidIdNumber, normalize_id_number
from jxjy.lib.masking import mask_id_number

from . import tasks
from .models import InvitationStatus, InvoiceType, Order, OrderStatus, UnitInvitation

GRADE_BY_LABEL = {label: value for value, label in Grade.choices} | {value: value for value in Grade.values}
# The one reason a row whose person cannot be listed gets, whatever the cause (no account, another name, another
# grade, a class already, an account that is not a learner's …): the page must not tell who has an account.
CANNOT_LIST = "身份证号与姓名不匹配或该学员不能由单位报名"


@dataclass
class RosterRow:
    number: int  # the row as the contact person sees it (1-based)
    id_number: str
    name: str
    grade: str = ""
    learner: User | None = None
    training_class: TrainingClass | None = None
    error: str = ""

    @property
    def id_number_masked(self):
        """What the contact typed, masked on screen like every ID number (a malformed one is shown masked too)."""
        return mask_id_number(self.id_number) if len(self.id_number) > 10 else "*" * len(self.id_number)

    def refuse(self, reason=CANNOT_LIST):
        self.error = f"第 {self.number} 行：{reason}"
        self.learner = self.training_class = None


class RosterError(UserError):
    def __init__(self, rows):
        super().__init__("名单中有不能报名的行，请按行修改后重新提交；名单未提交，没有通知任何学员。")
        self.rows = rows


def check_roster(*, year: int, rows: list[RosterRow], contact=None, now=None) -> list[RosterRow]:
    """Match each row to a learner account (ID number + name) and to that year's open class of the learner's own
    技术等级. A row that is malformed in itself (the ID number, a repeated row, an unknown grade word) says so; every
    row whose person cannot be listed gets CANNOT_LIST, the same words whatever the cause. Queries stay bounded."""
    now = now or timezone.now()
    indexes = {}
    for row in rows:
        row.name, row.grade = row.name.strip(), row.grade.strip()
        try:
            row.id_number = normalize_id_number(row.id_number)
        except InvalidIdNumber as exc:
            row.refuse(str(exc))
            continue
        if not row.name:
            row.refuse("请填写姓名。")
            continue
        if row.grade and row.grade not in GRADE_BY_LABEL:
            row.refuse(f"技术等级“{row.grade}”无法识别（可填：{'、'.join(Grade.labels)}）。")
            continue
        index = id_number_index(row.id_number)
        if index in indexes:
            row.refuse(f"与第 {indexes[index].number} 行重复。")
            continue
        indexes[index] = row
    learners = {
        u.username: u
        for u in User.objects.filter(username__in=list(indexes), role=Role.LEARNER, is_active=True, is_staff=False)
    }
    classes = {c.grade: c for c in TrainingClass.objects.published().filter(year_id=year).order_by("id")}
    taken = set(YearClaim.objects.filter(user__in=learners.values(), year_id=year).values_list("user_id", flat=True))
    invited = set()
    if contact is not None:  # this contact's unit order awaiting the same people already
        invited = set(
            UnitInvitation.objects.filter(
                order__user=contact,
                order__status=OrderStatus.AWAITING,
                learner__in=learners.values(),
                training_class__year_id=year,
                status__in=[InvitationStatus.PENDING, InvitationStatus.CONFIRMED],
            ).values_list("learner_id", flat=True)
        )
    for index, row in indexes.items():
        learner = learners.get(index)
        training_class = classes.get(learner.grade) if learner is not None and learner.grade else None
        if (
            learner is None
            or learner.name != row.name
            or training_class is None
            or (row.grade and GRADE_BY_LABEL[row.grade] != learner.grade)
            or not training_class.is_open(now)
            or learner.pk in taken
            or learner.pk in invited
        ):
            row.refuse()
            continue
        row.learner, row.training_class = learner, training_class
    return rows


def invitation_deadline(rows, now):
    """Until when the listed learners may confirm: UNIT_INVITATION_DAYS, and never past a class's enrolment."""
    return min([now + timedelta(days=settings.UNIT_INVITATION_DAYS)] + [row.training_class.enroll_end for row in rows])


@transaction.atomic
def invite_unit_staff(*, contact, year: int, rows: list[RosterRow], invoice: dict) -> Order:
    """单位统一报名缴费, step 1: the contact person's list becomes the unit's order, 待学员确认, with a 待确认
    invitation (and an SMS notice) for each listed learner. Nothing of anybody's is held: each learner's year is
    taken only when they confirm on their own account (orders.services.confirm_invitation); the unit then submits
    and pays the order for the confirmed ones (orders.services.submit_unit_order). Nothing is created unless every
    row is valid."""
    if not rows:
        raise UserError("名单为空，请至少填写一名学员。")
    if len(rows) > settings.UNIT_ORDER_MAX_ROWS:
        raise UserError(f"一次最多报名 {settings.UNIT_ORDER_MAX_ROWS} 人，请分批提交。")
    if invoice.get("invoice_type") != InvoiceType.UNIT:
        raise UserError("单位统一报名须开具单位抬头的发票。")
    User.objects.select_for_update().filter(pk=contact.pk).first()  # one list at a time per contact
    check_roster(year=year, rows=rows, contact=contact)
    if any(row.error for row in rows):
        raise RosterError(rows)
    now = timezone.now()
    order = Order.objects.create(
        user=contact,
        status=OrderStatus.AWAITING,
        amount=Decimal("0"),
        created_at=now,
        expires_at=invitation_deadline(rows, now),
        **invoice,
    )
    UnitInvitation.objects.bulk_create(
        UnitInvitation(order=order, learner=row.learner, training_class=row.training_class, created_at=now)
        for row in rows
    )
    record(Event.UNIT_INVITE, actor=contact, obj=order, number=order.number, learners=len(rows), year=year)
    learner_ids = [row.learner.pk for row in rows]
    transaction.on_commit(lambda: tasks.notify_invited_learners.delay(learner_ids, year))
    return order


# --- Limits on the 单位统一报名 page --------------------------------------------------------------------------------


def refused_rows_today(user) -> int:
    return ratelimit.count(_refused_key(user), DAY)


def count_refused_rows(user, rows) -> None:
    """Rows refused with CANNOT_LIST are what a prober collects: they are counted per contact per day."""
    refused = sum(1 for row in rows if row.error.endswith(CANNOT_LIST))
    if refused:
        ratelimit.hit(_refused_key(user), settings.UNIT_ENROLL_REFUSED_ROWS_PER_USER_DAY, DAY, amount=refused)


def _refused_key(user):
    return f"unit-refused-rows:{user.pk}"


DAY = 24 * 3600
