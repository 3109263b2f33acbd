"""发票 (request, issue, void, download), and 单位统一报名缴费: a unit's contact person lists the unit's staff; each
listed learner is invited (待确认, an SMS) and confirms or declines on their own account; the unit then pays one
order for those who confirmed."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jxjy.accounts.models import Grade, Role, User, id_number_index
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import TrainingClass, YearClaim
from jxjy.lib import ratelimit
from jxjy.lib.idcard import InvalidIdNumber, normalize_id_number
from jxjy.lib.masking import mask_id_number
from jxjy.orders.models import (
    InvitationStatus,
    InvoiceDelivery,
    InvoiceType,
    Order,
    OrderStatus,
    UnitInvitation,
)

from . import tasks
from .models import InvoiceRequest, InvoiceStatus


class InvoiceError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


INVOICE_FIELDS = [
    "invoice_type", "invoice_title", "invoice_tax_id", "invoice_delivery", "invoice_email",
    "invoice_recipient", "invoice_mobile", "invoice_address",
]  # fmt: skip


def live_request(order):
    return order.invoice_requests.exclude(status=InvoiceStatus.VOID).first()


def request_deadline(order):
    return order.paid_at + timedelta(days=settings.INVOICE_REQUEST_DAYS) if order.paid_at else None


def can_request(order, now=None) -> str:
    """'' if the order's buyer may ask for an invoice now, else the reason in Chinese."""
    if order.status != OrderStatus.PAID:
        return "只有已支付的订单可以申请开票。"
    if (now or timezone.now()) > request_deadline(order):
        return f"请在支付后 {settings.INVOICE_REQUEST_DAYS} 天内申请开票，本订单已超过期限。"
    if live_request(order):
        return "本订单已申请开票。"
    return ""


def request_invoice(*, order, invoice: dict, actor, request=None) -> InvoiceRequest:
    """申请开票 on a paid order: the 抬头, tax number and delivery are written to the order (as checkout does) and a
    待开票 request is opened for finance. A 单位统一报名 order is invoiced to its unit only."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        problem = can_request(order)
        if problem:
            raise InvoiceError(problem, status=409)
        if invoice.get("invoice_type") not in (InvoiceType.PERSONAL, InvoiceType.UNIT):
            raise InvoiceError("请选择发票抬头类型。")
        if is_unit_order(order) and invoice["invoice_type"] != InvoiceType.UNIT:
            raise InvoiceError("单位统一报名的订单只能开具单位抬头的发票。")
        if invoice.get("invoice_delivery") not in (InvoiceDelivery.EMAIL, InvoiceDelivery.POST):
            raise InvoiceError("请选择电子发票或纸质发票邮寄。")
        blank = {name: "" for name in INVOICE_FIELDS}
        for name, value in {**blank, **invoice}.items():
            setattr(order, name, value)
        order.save(update_fields=INVOICE_FIELDS)
        try:
            with transaction.atomic():
                item = InvoiceRequest.objects.create(order=order, requested_by=actor)
        except IntegrityError:
            raise InvoiceError("本订单已申请开票。", status=409) from None
        record(Event.INVOICE_REQUEST, actor=actor, request=request, obj=order, number=order.number,
               title_type=order.invoice_type, delivery=order.invoice_delivery)  # fmt: skip
    return item


def check_pdf(upload) -> None:
    """An invoice file must really be a PDF: judged by its bytes, never by its name or declared type."""
    if upload is None:
        raise InvoiceError("请上传电子发票 PDF 文件。")
    if upload.size == 0:
        raise InvoiceError("上传的文件是空文件。")
    if upload.size > settings.INVOICE_PDF_MAX_BYTES:
        raise InvoiceError("电子发票文件不能超过 5 MB。")
    head = upload.read(1024)
    upload.seek(0)
    if not head.startswith(b"%PDF-"):
        raise InvoiceError("上传的文件不是 PDF 文件，请上传税务系统导出的电子发票 PDF。")
    upload.seek(max(upload.size - 2048, 0))
    tail = upload.read()
    upload.seek(0)
    if b"%%EOF" not in tail:
        raise InvoiceError("PDF 文件不完整，请重新导出后上传。")


def _move(item, to, *, actor, event, request=None, **changes):
    with transaction.atomic():
        item = InvoiceRequest.objects.select_for_update().select_related("order").get(pk=item.pk)
        if item.status == to:
            return item, False
        if to not in InvoiceRequest.TRANSITIONS[item.status]:
            raise InvoiceError(f"该发票申请当前为“{item.get_status_display()}”，不能再操作。", status=409)
        before = item.status
        item.status = to
        for name, value in changes.items():
            setattr(item, name, value)
        item.save(update_fields=["status", *[n for n in changes if n != "pdf"]])
        record(event, actor=actor, request=request, obj=item.order, invoice=item.pk, before=before, after=to,
               invoice_number=item.invoice_number)  # fmt: skip
    return item, True


def issue_invoice(*, item, invoice_number: str, actor, pdf=None, tracking_number="", request=None):
    """已开票: the invoice number, and the PDF (电子发票) or the mailing tracking number (纸质发票)."""
    invoice_number = invoice_number.strip()
    tracking_number = tracking_number.strip()
    if not invoice_number:
        raise InvoiceError("请填写发票号码。")
    if item.order.invoice_delivery == InvoiceDelivery.POST:
        if not tracking_number:
            raise InvoiceError("纸质发票请填写快递单号。")
        if pdf is not None:
            check_pdf(pdf)
    else:
        check_pdf(pdf)
    with transaction.atomic():
        item, moved = _move(item, InvoiceStatus.ISSUED, actor=actor, event=Event.INVOICE_ISSUE, request=request,
                            invoice_number=invoice_number, tracking_number=tracking_number,
                            issued_at=timezone.now(), issued_by=actor)  # fmt: skip
        if moved and pdf is not None:
            item.pdf.save("invoice.pdf", pdf, save=False)
            InvoiceRequest.objects.filter(pk=item.pk).update(pdf=item.pdf.name)
    return item


def void_invoice(*, item, reason: str, actor, request=None):
    """作废: a wrong or refunded invoice; the order may then ask again."""
    if not reason.strip():
        raise InvoiceError("请填写作废原因。")
    item, _ = _move(item, InvoiceStatus.VOID, actor=actor, event=Event.INVOICE_VOID, request=request,
                    void_reason=reason.strip()[:200])  # fmt: skip
    return item


def visible_file(user, pk):
    """The request whose PDF `user` may download: the order's buyer, or finance (and the province)."""
    requests = InvoiceRequest.objects.select_related("order").exclude(pdf="")
    if user.is_authenticated and user.is_learner:
        return requests.filter(pk=pk, order__user=user).first()
    if user.is_authenticated and user.is_staff and user.role in (Role.FINANCE, Role.PROVINCE):
        return requests.filter(pk=pk).first()
    return None


# --- 单位统一报名缴费 -----------------------------------------------------------------------------------------------


def is_unit_order(order) -> bool:
    return order.invitations.exists() or order.lines.filter(learner__isnull=False).exists()


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


class RosterError(InvoiceError):
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
                order__user=contact, order__status=OrderStatus.AWAITING, learner__in=learners.values(),
                training_class__year_id=year,
                status__in=[InvitationStatus.PENDING, InvitationStatus.CONFIRMED],
            ).values_list("learner_id", flat=True)
        )  # fmt: skip
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
def invite_unit_staff(*, contact, year: int, rows: list[RosterRow], invoice: dict, request=None) -> Order:
    """单位统一报名缴费, step 1: the contact person's list becomes the unit's order, 待学员确认, with a 待确认
    invitation (and an SMS notice) for each listed learner. Nothing of anybody's is held: each learner's year is
    taken only when they confirm on their own account (orders.services.confirm_invitation); the unit then submits
    and pays the order for the confirmed ones (orders.services.submit_unit_order). Nothing is created unless every
    row is valid."""
    if not rows:
        raise InvoiceError("名单为空，请至少填写一名学员。")
    if len(rows) > settings.UNIT_ORDER_MAX_ROWS:
        raise InvoiceError(f"一次最多报名 {settings.UNIT_ORDER_MAX_ROWS} 人，请分批提交。")
    if invoice.get("invoice_type") != InvoiceType.UNIT:
        raise InvoiceError("单位统一报名须开具单位抬头的发票。")
    User.objects.select_for_update().filter(pk=contact.pk).first()  # one list at a time per contact
    check_roster(year=year, rows=rows, contact=contact)
    if any(row.error for row in rows):
        raise RosterError(rows)
    now = timezone.now()
    order = Order.objects.create(
        user=contact, status=OrderStatus.AWAITING, amount=Decimal("0"), created_at=now,
        expires_at=invitation_deadline(rows, now), **invoice,
    )  # fmt: skip
    UnitInvitation.objects.bulk_create(
        UnitInvitation(order=order, learner=row.learner, training_class=row.training_class, created_at=now)
        for row in rows
    )
    record(Event.UNIT_INVITE, actor=contact, request=request, obj=order, number=order.number, learners=len(rows),
           year=year)  # fmt: skip
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
