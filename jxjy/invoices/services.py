"""发票 (request, issue, void, download), and 单位统一报名缴费: one order, paid once, for a unit's listed staff."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jxjy.accounts.models import Grade, Role, User, id_number_index
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import TrainingClass, YearClaim, YearClaimSource
from jxjy.catalog.services import YearTaken, claim_year
from jxjy.lib.idcard import InvalidIdNumber, normalize_id_number
from jxjy.orders.models import InvoiceDelivery, InvoiceType, Order, OrderLine, OrderStatus
from jxjy.orders.services import payment_timeout

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
    return order.lines.filter(learner__isnull=False).exists()


GRADE_BY_LABEL = {label: value for value, label in Grade.choices} | {value: value for value in Grade.values}


@dataclass
class RosterRow:
    number: int  # the row as the contact person sees it (1-based)
    id_number: str
    name: str
    grade: str = ""
    learner: User | None = None
    training_class: TrainingClass | None = None
    error: str = ""


class RosterError(InvoiceError):
    def __init__(self, rows):
        super().__init__("名单中有错误，请按行修改后重新提交；名单未提交，没有生成订单。")
        self.rows = rows


def check_roster(*, year: int, rows: list[RosterRow], now=None) -> list[RosterRow]:
    """Match each row to an existing learner account (ID number + name) and to that year's class of the row's grade
    (or the account's); mark every row that cannot be enrolled, with the reason. Queries stay bounded."""
    now = now or timezone.now()
    indexes = {}
    for row in rows:
        try:
            row.id_number = normalize_id_number(row.id_number)
        except InvalidIdNumber as exc:
            row.error = str(exc)
            continue
        index = id_number_index(row.id_number)
        if index in indexes:
            row.error = f"与第 {indexes[index].number} 行重复。"
            continue
        indexes[index] = row
    learners = {u.username: u for u in User.objects.filter(username__in=list(indexes), role=Role.LEARNER)}
    classes = {c.grade: c for c in TrainingClass.objects.published().filter(year_id=year)}
    taken = dict(YearClaim.objects.filter(user__in=learners.values(), year_id=year).values_list("user_id", "source"))
    for index, row in indexes.items():
        learner = learners.get(index)
        if learner is None:
            row.error = "该身份证号码没有学员账号，请本人先注册（或由工考办导入名单）后再报名。"
            continue
        if learner.name != row.name.strip():
            row.error = "姓名与该身份证号码的学员账号不一致。"
            continue
        row.learner = learner
        grade = GRADE_BY_LABEL.get(row.grade.strip()) if row.grade.strip() else learner.grade
        if row.grade.strip() and not grade:
            row.error = f"技术等级“{row.grade}”无法识别（可填：{'、'.join(Grade.labels)}）。"
            continue
        if not grade:
            row.error = "请填写技术等级（该学员账号未登记技术等级）。"
            continue
        training_class = classes.get(grade)
        if training_class is None:
            row.error = f"{year}年度没有{Grade(grade).label}的网络班。"
            continue
        if not training_class.is_open(now):
            row.error = f"“{training_class.title}”不在报名时间内。"
            continue
        if learner.pk in taken:
            row.error = (
                f"该学员已报名{year}年度{'面授班' if taken[learner.pk] == YearClaimSource.FACE_TO_FACE else '班级'}，"
                "每个培训年度只能报一个班。"
            )
            continue
        row.training_class = training_class
    return rows


@transaction.atomic
def place_unit_order(*, contact, year: int, rows: list[RosterRow], invoice: dict, request=None) -> Order:
    """单位统一报名缴费: one order for the listed staff, paid once by the unit's contact person. Each line enrolls one
    listed learner into the class of their grade and takes that learner's place for the year. Nothing is ordered
    unless every row is valid."""
    if not rows:
        raise InvoiceError("名单为空，请至少填写一名学员。")
    if len(rows) > settings.UNIT_ORDER_MAX_ROWS:
        raise InvoiceError(f"一次最多报名 {settings.UNIT_ORDER_MAX_ROWS} 人，请分批提交。")
    if invoice.get("invoice_type") != InvoiceType.UNIT:
        raise InvoiceError("单位统一报名须开具单位抬头的发票。")
    User.objects.select_for_update().filter(pk=contact.pk).first()  # one checkout at a time per contact
    check_roster(year=year, rows=rows)
    if any(row.error for row in rows):
        raise RosterError(rows)
    now = timezone.now()
    order = Order.objects.create(
        user=contact, amount=sum((row.training_class.fee for row in rows), Decimal("0")), created_at=now,
        expires_at=now + payment_timeout(), **invoice,
    )  # fmt: skip
    for row in rows:
        c = row.training_class
        line = OrderLine.objects.create(order=order, training_class=c, year=c.year_id, title=c.title, fee=c.fee,
                                        hours=c.required_hours, learner=row.learner)  # fmt: skip
        try:
            claim_year(user=row.learner, year=year, source=YearClaimSource.ONLINE, source_id=line.pk)
        except YearTaken:
            row.error = f"该学员已报名{year}年度的班级，每个培训年度只能报一个班。"
    if any(row.error for row in rows):
        transaction.set_rollback(True)
        raise RosterError(rows)
    record(Event.UNIT_ORDER_PLACE, actor=contact, request=request, obj=order, number=order.number,
           amount=str(order.amount), learners=len(rows), year=year)  # fmt: skip
    return order
