"""发票: 申请开票 on a paid order, and finance's 开票 (issue) and 作废 (void) of the request; the PDF for its buyer and
finance. The 抬头, tax number and delivery are written on the order itself (as checkout does)."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jxjy.accounts.models import Role
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib.errors import UserError
from jxjy.lib.states import move

from .models import InvoiceDelivery, InvoiceRequest, InvoiceStatus, InvoiceType, Order, OrderStatus

INVOICE_FIELDS = [
    "invoice_type",
    "invoice_title",
    "invoice_tax_id",
    "invoice_delivery",
    "invoice_email",
    "invoice_recipient",
    "invoice_mobile",
    "invoice_address",
]


def live_request(order):
    return order.invoice_requests.exclude(status=InvoiceStatus.VOID).first()


def request_deadline(order):
    return order.paid_at + timedelta(days=settings.INVOICE_REQUEST_DAYS) if order.paid_at else None


def is_unit_order(order) -> bool:
    """A 单位统一报名 order (invited staff, or lines for listed learners): invoiced to its unit only."""
    return order.invitations.exists() or order.lines.filter(learner__isnull=False).exists()


def can_request(order, now=None) -> str:
    """'' if the order's buyer may ask for an invoice now, else the reason in Chinese."""
    if order.status != OrderStatus.PAID:
        return "只有已支付的订单可以申请开票。"
    if (now or timezone.now()) > request_deadline(order):
        return f"请在支付后 {settings.INVOICE_REQUEST_DAYS} 天内申请开票，本订单已超过期限。"
    if live_request(order):
        return "本订单已申请开票。"
    return ""


def request_invoice(*, order, invoice: dict, actor) -> InvoiceRequest:
    """申请开票 on a paid order: the 抬头, tax number and delivery are written to the order (as checkout does) and a
    待开票 request is opened for finance. A 单位统一报名 order is invoiced to its unit only."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        problem = can_request(order)
        if problem:
            raise UserError(problem, status=409)
        if invoice.get("invoice_type") not in (InvoiceType.PERSONAL, InvoiceType.UNIT):
            raise UserError("请选择发票抬头类型。")
        if is_unit_order(order) and invoice["invoice_type"] != InvoiceType.UNIT:
            raise UserError("单位统一报名的订单只能开具单位抬头的发票。")
        if invoice.get("invoice_delivery") not in (InvoiceDelivery.EMAIL, InvoiceDelivery.POST):
            raise UserError("请选择电子发票或纸质发票邮寄。")
        blank = {name: "" for name in INVOICE_FIELDS}
        for name, value in {**blank, **invoice}.items():
            setattr(order, name, value)
        order.save(update_fields=INVOICE_FIELDS)
        try:
            with transaction.atomic():
                item = InvoiceRequest.objects.create(order=order, requested_by=actor)
        except IntegrityError:
            raise UserError("本订单已申请开票。", status=409) from None
        record(
            Event.INVOICE_REQUEST,
            actor=actor,
            obj=order,
            number=order.number,
            title_type=order.invoice_type,
            delivery=order.invoice_delivery,
        )
    return item


def check_pdf(upload) -> None:
    """An invoice file must really be a PDF: judged by its bytes, never by its name or declared type."""
    if upload is None:
        raise UserError("请上传电子发票 PDF 文件。")
    if upload.size == 0:
        raise UserError("上传的文件是空文件。")
    if upload.size > settings.INVOICE_PDF_MAX_BYTES:
        raise UserError("电子发票文件不能超过 5 MB。")
    head = upload.read(1024)
    upload.seek(0)
    if not head.startswith(b"%PDF-"):
        raise UserError("上传的文件不是 PDF 文件，请上传税务系统导出的电子发票 PDF。")
    upload.seek(max(upload.size - 2048, 0))
    tail = upload.read()
    upload.seek(0)
    if b"%%EOF" not in tail:
        raise UserError("PDF 文件不完整，请重新导出后上传。")


def _move(item, to, *, actor, event, **changes):
    """One step of the request's TRANSITIONS through jxjy.lib.states.move; returns (the locked row, whether it moved).
    The audit record names the order, as the rest of the invoice's records do; a forbidden step is refused (409)."""
    item, before = move(
        item,
        to,
        event=event,
        actor=actor,
        message="该发票申请当前为“{state}”，不能再操作。",
        about=item.order,
        detail=lambda row: {"invoice": row.pk, "invoice_number": row.invoice_number},
        **changes,
    )
    return item, before is not None


def issue_invoice(*, item, invoice_number: str, actor, pdf=None, tracking_number=""):
    """已开票: the invoice number, and the PDF (电子发票) or the mailing tracking number (纸质发票)."""
    invoice_number = invoice_number.strip()
    tracking_number = tracking_number.strip()
    if not invoice_number:
        raise UserError("请填写发票号码。")
    if item.order.invoice_delivery == InvoiceDelivery.POST:
        if not tracking_number:
            raise UserError("纸质发票请填写快递单号。")
        if pdf is not None:
            check_pdf(pdf)
    else:
        check_pdf(pdf)
    with transaction.atomic():
        item, moved = _move(
            item,
            InvoiceStatus.ISSUED,
            actor=actor,
            event=Event.INVOICE_ISSUE,
            invoice_number=invoice_number,
            tracking_number=tracking_number,
            issued_at=timezone.now(),
            issued_by=actor,
        )
        if moved and pdf is not None:
            item.pdf.save("invoice.pdf", pdf, save=False)
            InvoiceRequest.objects.filter(pk=item.pk).update(pdf=item.pdf.name)
    return item


def void_invoice(*, item, reason: str, actor):
    """作废: a wrong or refunded invoice; the order may then ask again."""
    if not reason.strip():
        raise UserError("请填写作废原因。")
    item, _ = _move(item, InvoiceStatus.VOID, actor=actor, event=Event.INVOICE_VOID, void_reason=reason.strip()[:200])
    return item


def visible_file(user, pk):
    """The request whose PDF `user` may download: the order's buyer, or finance (and the province)."""
    requests = InvoiceRequest.objects.select_related("order").exclude(pdf="")
    if user.is_authenticated and user.is_learner:
        return requests.filter(pk=pk, order__user=user).first()
    if user.is_authenticated and user.is_staff and user.role in (Role.FINANCE, Role.PROVINCE):
        return requests.filter(pk=pk).first()
    return None
