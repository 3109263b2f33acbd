"""Payments: start, notifications (stored first, processed once), confirmation, queries, refunds."""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.orders import services as orders
from jxjy.orders.models import Order, OrderStatus

from .models import (
    NotificationOutcome,
    Payment,
    PaymentFlag,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from .providers import get_provider
from .providers.base import GatewayError, GatewayTrade, StartResult, VerificationError

logger = logging.getLogger(__name__)


class PaymentError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _absolute(request, path):
    base = settings.PUBLIC_BASE_URL
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


# --- 立即支付 ----------------------------------------------------------------------------------


def start_payment(*, order: Order, provider_name: str, request) -> tuple[Payment, StartResult]:
    """立即支付 / 继续支付: reuse this order's open payment with the same gateway (a double click or a
    second tab gets the same out_trade_no, never a second charge), else create one."""
    provider = get_provider(provider_name)
    if not provider.is_configured():
        raise PaymentError("该支付方式暂不可用，请选择其他方式。")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not order.is_payable():
            raise PaymentError("订单已不能支付（已支付、已取消或已超过支付时限）。")
        payment = (
            order.payments.filter(provider=provider.name, status__in=[PaymentStatus.CREATED, PaymentStatus.PENDING])
            .order_by("-created_at")
            .first()
        )
        if payment is None:
            payment = Payment.objects.create(order=order, provider=provider.name, amount=order.amount)
            record(Event.PAYMENT_START, actor=order.user, request=request, obj=payment, order=order.number)
    subject = "工勤人员继续教育培训费 " + "、".join(order.lines.values_list("title", flat=True))[:100]
    try:
        result = provider.start(
            payment,
            subject=subject,
            return_url=_absolute(request, reverse("orders:result", args=[order.number])),
            notify_url=_absolute(request, reverse("payments:notify", args=[provider.name])),
        )
    except GatewayError:
        logger.exception("payment start failed")
        raise PaymentError("支付平台暂时无法连接，请稍后再试。") from None
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.CREATED).update(status=PaymentStatus.PENDING)
    if result.qr_code_text:
        Payment.objects.filter(pk=payment.pk).update(qr_code_text=result.qr_code_text)
    payment.refresh_from_db()
    return payment, result


# --- Notifications -----------------------------------------------------------------------------

SAFE_HEADERS = ("content-type", "user-agent", "wechatpay-serial", "wechatpay-timestamp", "wechatpay-nonce")


def handle_notification(*, provider_name: str, body: bytes, headers: dict, remote_addr: str | None):
    """Store the notification as it arrived, then verify and process it once. Returns the provider's Reply."""
    provider = get_provider(provider_name)
    note = PaymentNotification.objects.create(
        provider=provider.name,
        remote_addr=remote_addr,
        headers={k: v for k, v in headers.items() if k in SAFE_HEADERS},
        body=body.decode("utf-8", errors="replace"),
    )
    try:
        trade = provider.parse_notification(body, headers)
    except VerificationError as exc:
        return _reject(provider, note, f"验签失败：{exc}")
    if provider.app_id and trade.app_id != provider.app_id:
        return _reject(provider, note, "应用 ID 不符")
    if provider.merchant_id and trade.merchant_id != provider.merchant_id:
        return _reject(provider, note, "商户号不符")
    payment = Payment.objects.filter(provider=provider.name, number=trade.out_trade_no).first()
    if payment is None:
        return _reject(provider, note, "未知的支付流水号")
    if trade.amount != payment.amount:
        return _reject(provider, note, f"金额不符：通知 {trade.amount}，应付 {payment.amount}", payment)
    outcome = apply_gateway_trade(payment=payment, trade=trade, source="notify")
    PaymentNotification.objects.filter(pk=note.pk).update(outcome=outcome, payment=payment)
    record(Event.PAYMENT_NOTIFY, obj=payment, result=outcome, provider=provider.name, status=trade.status)
    return provider.reply(True)


def _reject(provider, note, reason, payment=None):
    PaymentNotification.objects.filter(pk=note.pk).update(
        outcome=NotificationOutcome.REJECTED, error=reason[:200], payment=payment
    )
    record(Event.PAYMENT_NOTIFY, result="rejected", provider=provider.name, notification=note.pk, reason=reason)
    logger.warning("payment notification %s rejected: %s", note.pk, reason)
    return provider.reply(False, reason)


def apply_gateway_trade(*, payment: Payment, trade: GatewayTrade, source: str) -> str:
    """Act on what the gateway says about a payment (from a verified notification or an active query)."""
    if trade.status == GatewayTrade.SUCCESS:
        return confirm_payment(payment=payment, trade_no=trade.trade_no, source=source)
    if trade.status in (GatewayTrade.FAILED, GatewayTrade.CLOSED):
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if PaymentStatus.FAILED in Payment.TRANSITIONS[locked.status]:
                locked.status = PaymentStatus.FAILED
                locked.save(update_fields=["status"])
        return NotificationOutcome.ACCEPTED
    return NotificationOutcome.ACCEPTED  # still pending: nothing to do


def confirm_payment(*, payment: Payment, trade_no: str, source: str) -> str:
    """Mark a payment succeeded — once, however often and however concurrently this is called — and pay its
    order, which opens the classes. Money for an order that is no longer payable is kept and flagged."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            return NotificationOutcome.DUPLICATE
        payment.status = PaymentStatus.SUCCEEDED
        payment.gateway_trade_no = trade_no
        payment.paid_at = timezone.now()
        payment.confirmed_by = source
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if order.status == OrderStatus.PENDING:
            payment.save(update_fields=["status", "gateway_trade_no", "paid_at", "confirmed_by"])
            orders.transition(order, OrderStatus.PAID, reason=f"payment {payment.number} ({source})")
            return NotificationOutcome.ACCEPTED
        payment.flag = PaymentFlag.DUPLICATE if order.status == OrderStatus.PAID else PaymentFlag.LATE
        payment.save(update_fields=["status", "gateway_trade_no", "paid_at", "confirmed_by", "flag"])
        record(Event.PAYMENT_FLAG, obj=payment, result="flagged", flag=payment.flag, order=order.number)
        logger.warning("payment %s flagged: %s", payment.number, payment.flag)
        return NotificationOutcome.FLAGGED


# --- Active queries ----------------------------------------------------------------------------


def query_pending_payments(*, older_than=None, now=None) -> int:
    """Ask the gateway about payments still pending after 15 minutes (run by Celery beat); settles the ones
    whose notification never came. Returns how many were settled."""
    now = now or timezone.now()
    older_than = older_than or timedelta(minutes=settings.PAYMENT_QUERY_AFTER_MINUTES)
    settled = 0
    pending = Payment.objects.filter(
        status__in=[PaymentStatus.CREATED, PaymentStatus.PENDING],
        created_at__lte=now - older_than,
        created_at__gte=now - timedelta(days=3),
    )
    for payment in pending:
        try:
            trade = get_provider(payment.provider).query(payment)
        except (GatewayError, VerificationError, LookupError):
            logger.exception("payment query failed for %s", payment.number)
            continue
        if trade.status == GatewayTrade.SUCCESS and trade.amount != payment.amount:
            record(Event.PAYMENT_QUERY, obj=payment, result="rejected", reason="amount mismatch")
            continue
        if trade.status == GatewayTrade.NOT_FOUND and not payment.order.is_payable(now):
            trade.status = GatewayTrade.CLOSED
        outcome = apply_gateway_trade(payment=payment, trade=trade, source="query")
        record(Event.PAYMENT_QUERY, obj=payment, result=outcome, status=trade.status)
        settled += trade.status == GatewayTrade.SUCCESS
    return settled


# --- Refunds and late payments (finance) -------------------------------------------------------


def refund_payment(*, payment: Payment, actor, reason: str) -> Refund:
    """Refund a succeeded payment through its gateway. For a paid order the classes must have no study yet;
    the order becomes 已退款 and its classes close. A flagged (late or duplicate) payment is refunded alone."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise PaymentError("只有支付成功的记录可以退款。")
        order = payment.order
        refunds_order = not payment.flag and order.status == OrderStatus.PAID
        if refunds_order:
            for line in order.lines.select_related("enrollment"):
                enrollment = getattr(line, "enrollment", None)
                if enrollment is not None and enrollment.has_study:
                    raise PaymentError(f"“{line.title}”已开始学习，不能退款。")
        refund = Refund.objects.create(
            payment=payment, number=new_refund_number(), amount=payment.amount, reason=reason, actor=actor
        )
    try:
        result = get_provider(payment.provider).refund(
            payment, refund_no=refund.number, amount=refund.amount, reason=reason
        )
    except GatewayError as exc:
        Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
        raise PaymentError("退款请求未被支付平台接受，请稍后重试。") from exc
    if not result.succeeded:
        Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
        raise PaymentError("支付平台拒绝了退款请求。")
    with transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(
            status=RefundStatus.PENDING if result.pending else RefundStatus.SUCCEEDED,
            gateway_refund_no=result.gateway_refund_no,
        )
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.REFUNDED, flag=PaymentFlag.RESOLVED if payment.flag else ""
        )
        if refunds_order:
            orders.transition(order, OrderStatus.REFUNDED, actor=actor, reason=reason)
        record(Event.REFUND, actor=actor, obj=payment, order=order.number, amount=str(refund.amount))
    refund.refresh_from_db()
    return refund


def accept_late_payment(*, payment: Payment, actor) -> Order:
    """Finance reopens a closed or cancelled order with the late payment that arrived for it."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.flag != PaymentFlag.LATE or payment.status != PaymentStatus.SUCCEEDED:
            raise PaymentError("只有标记为“关闭后到账”的支付可以重新开通。")
        try:
            order = orders.transition(payment.order, OrderStatus.PAID, actor=actor, reason="late payment accepted")
        except orders.IllegalTransition as exc:
            raise PaymentError(exc.message) from None
        Payment.objects.filter(pk=payment.pk).update(flag=PaymentFlag.RESOLVED)
        record(Event.PAYMENT_FLAG, actor=actor, obj=payment, result="resolved", action="reopen")
    return order


def new_refund_number():
    return "R" + secrets.token_hex(8).upper()
