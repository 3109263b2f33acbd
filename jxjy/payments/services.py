"""Payments: start, notifications (stored first, processed once), confirmation, queries, refunds."""

import hashlib
import logging
import secrets
from contextlib import suppress
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib import ratelimit
from jxjy.lib.errors import UserError
from jxjy.lib.states import IllegalMove, move
from jxjy.lib.throttled_logging import ThrottledLogger
from jxjy.orders import services as orders
from jxjy.orders.models import Order, OrderStatus

from .models import (
    IdempotencyKey,
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


def _absolute(request, path):
    base = settings.PUBLIC_BASE_URL
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


# --- 立即支付 ----------------------------------------------------------------------------------


def start_payment(*, order: Order, provider_name: str, request) -> tuple[Payment, StartResult]:
    """立即支付 / 继续支付: reuse this order's open payment with the same gateway (a double click or a
    second tab gets the same out_trade_no, never a second charge), else create one."""
    provider = get_provider(provider_name)
    if not provider.is_configured():
        raise UserError("该支付方式暂不可用，请选择其他方式。")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not order.is_payable():
            raise UserError("订单已不能支付（已支付、已取消或已超过支付时限）。")
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
        raise UserError("支付平台暂时无法连接，请稍后再试。") from None
    with suppress(IllegalMove):  # the gateway has already reported on it (paid, failed): it stays as it is
        move(payment, PaymentStatus.PENDING, event=Event.PAYMENT_TRANSITION, actor=order.user)
    if result.qr_code_text:
        Payment.objects.filter(pk=payment.pk).update(qr_code_text=result.qr_code_text)
    payment.refresh_from_db()
    return payment, result


# --- Idempotency-Key on 立即支付 (security requirement 43) ------------------------------------------------------


IN_FLIGHT = "您的支付请求正在处理，请勿重复提交。"
DIFFERENT_REQUEST = "这次支付请求与先前提交的不同（例如换了支付方式）。请返回订单页面，重新点击“继续支付”。"


def claim_idempotency_key(*, user, key: str, fingerprint: str, now=None) -> tuple[IdempotencyKey, bool]:
    """Take `key` for this request: (row, True) if the request should run now, (row, False) if it already ran
    (row holds its response). Raises UserError for another body (422) or a first request still running
    (409). The key's row is committed before the request runs, so a concurrent duplicate finds it at once."""
    now = now or timezone.now()
    kept_since = now - timedelta(hours=settings.PAYMENT_IDEMPOTENCY_KEY_HOURS)
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=kept_since).delete()  # expired: free again
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, locked_at=now), True
    except IntegrityError:
        row = IdempotencyKey.objects.filter(user=user, key=key).first()
    if row is None:  # its first request failed and let go of it this instant
        raise UserError(IN_FLIGHT, status=409)
    if row.fingerprint != fingerprint:
        raise UserError(DIFFERENT_REQUEST, status=422)
    if row.response_status is not None:
        return row, False
    stale = now - timedelta(seconds=settings.PAYMENT_IDEMPOTENCY_STALE_SECONDS)
    taken = IdempotencyKey.objects.filter(pk=row.pk, response_status__isnull=True, locked_at__lt=stale)
    if taken.update(locked_at=now):  # its first request died without an answer: this one runs instead
        return row, True
    raise UserError(IN_FLIGHT, status=409)


def save_idempotent_response(row: IdempotencyKey, *, status: int, location: str, message: str = "") -> None:
    IdempotencyKey.objects.filter(pk=row.pk).update(
        response_status=status, response_location=location, response_message=message[:200], locked_at=None
    )


def release_idempotency_key(row: IdempotencyKey) -> None:
    """The request failed unexpectedly (no answer to keep): the same key may be tried again at once."""
    IdempotencyKey.objects.filter(pk=row.pk, response_status__isnull=True).delete()


def purge_idempotency_keys(*, now=None) -> int:
    """Delete keys older than PAYMENT_IDEMPOTENCY_KEY_HOURS (the beat task); returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.PAYMENT_IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- Notifications -----------------------------------------------------------------------------
#
# Anyone can post to a notify URL, so what an unverified post may cost is bounded: a body over
# NOTIFY_MAX_BODY_BYTES is refused unread; one that fails verification is stored only up to 8 KB (with the SHA-256 and
# length of all of it), and only while its address (and everyone together) stays within NOTIFY_UNVERIFIED_* per
# window — beyond that it is answered and counted, not stored; log lines about refusals are at most one per reason a
# minute. A verified notification is never held back by any of this: it is stored whole, checked against the
# payment and answered at once; its processing (the order paid, its classes opened: the slow part, hundreds of
# classes for a 单位统一报名 order) is queued by the notify view (tasks.process_notification).

SAFE_HEADERS = ("content-type", "user-agent", "wechatpay-serial", "wechatpay-timestamp", "wechatpay-nonce")

refusals = ThrottledLogger(logger, interval=settings.NOTIFY_LOG_INTERVAL)


def _stored_body(body: bytes, limit: int | None = None) -> dict:
    kept = body if limit is None else body[:limit]
    return {
        "body": kept.decode("utf-8", errors="replace"),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_length": len(body),
    }


def _safe_headers(headers: dict) -> dict:
    return {k: str(v)[:200] for k, v in headers.items() if k in SAFE_HEADERS}


def handle_notification(*, provider_name: str, body: bytes, headers: dict, remote_addr: str | None):
    """Verify a gateway's notification, store it and check it against the payment. Returns (the provider's Reply,
    the id of the stored notification whose processing the caller queues — None when there is nothing to do).
    `headers` maps lower-case header names to values."""
    provider = get_provider(provider_name)
    try:
        trade = provider.parse_notification(body, headers)
    except VerificationError as exc:
        return _refuse_unverified(provider, body, headers, remote_addr, f"验签失败：{exc}"), None
    note = PaymentNotification.objects.create(
        provider=provider.name,
        remote_addr=remote_addr,
        headers=_safe_headers(headers),
        trade={
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "amount": str(trade.amount),
            "status": trade.status,
        },
        **_stored_body(body),
    )
    if provider.app_id and trade.app_id != provider.app_id:
        return _reject(provider, note, "app_id", "应用 ID 不符"), None
    if provider.merchant_id and trade.merchant_id != provider.merchant_id:
        return _reject(provider, note, "merchant", "商户号不符"), None
    payment = Payment.objects.filter(provider=provider.name, number=trade.out_trade_no).first()
    if payment is None:
        return _reject(provider, note, "unknown_trade", "未知的支付流水号"), None
    if trade.amount != payment.amount:
        return _reject(provider, note, "amount", f"金额不符：通知 {trade.amount}，应付 {payment.amount}", payment), None
    PaymentNotification.objects.filter(pk=note.pk).update(payment=payment)
    # Audited here, in the gateway's request (its address, the request id); what processing made of it (paid,
    # duplicate, flagged) is the notification's outcome and the order's and payment's own audit records.
    record(
        Event.PAYMENT_NOTIFY,
        obj=payment,
        result="accepted",
        provider=provider.name,
        status=trade.status,
        notification=note.pk,
    )
    return provider.reply(True), note.pk


def process_notification(note_id: int) -> str:
    """Act once on a stored, verified, checked notification (the queued part of a notification)."""
    note = PaymentNotification.objects.select_related("payment").get(pk=note_id)
    if note.outcome != NotificationOutcome.RECEIVED or note.payment is None:
        return note.outcome
    data = note.trade
    trade = GatewayTrade(
        out_trade_no=data["out_trade_no"],
        trade_no=data["trade_no"],
        amount=Decimal(data["amount"]),
        status=data["status"],
    )
    outcome = apply_gateway_trade(payment=note.payment, trade=trade, source="notify")
    PaymentNotification.objects.filter(pk=note.pk).update(outcome=outcome)
    return outcome


def _refuse_unverified(provider, body, headers, remote_addr, reason):
    """A post that is not the gateway's (or not intact): kept as evidence while within the limits, else counted."""
    per_ip, per_ip_window = settings.NOTIFY_UNVERIFIED_PER_IP
    total, total_window = settings.NOTIFY_UNVERIFIED_TOTAL
    if ratelimit.hit(f"notify-unverified:{remote_addr}", per_ip, per_ip_window) and ratelimit.hit(
        "notify-unverified", total, total_window
    ):
        note = PaymentNotification.objects.create(
            provider=provider.name,
            remote_addr=remote_addr,
            headers=_safe_headers(headers),
            outcome=NotificationOutcome.REJECTED,
            error=reason[:200],
            **_stored_body(body, settings.NOTIFY_STORED_BODY_BYTES),
        )
        record(Event.PAYMENT_NOTIFY, result="rejected", provider=provider.name, notification=note.pk, reason=reason)
        refusals.warning(f"{provider.name}:unverified", "payment notification %s rejected: %s", note.pk, reason)
    else:
        refusals.warning(
            f"{provider.name}:unverified-not-stored",
            "payment notification from %s rejected and not stored (over the limit): %s",
            remote_addr,
            reason,
        )
    return provider.reply(False, reason)


def _reject(provider, note, code, reason, payment=None):
    """A verified notification that does not match our payment: a misconfiguration or a stolen key — an alert."""
    PaymentNotification.objects.filter(pk=note.pk).update(
        outcome=NotificationOutcome.REJECTED, error=reason[:200], payment=payment
    )
    record(
        Event.PAYMENT_NOTIFY,
        obj=payment,
        result="rejected",
        provider=provider.name,
        notification=note.pk,
        reason=reason,
    )
    refusals.error(f"{provider.name}:{code}", "ALERT signed payment notification %s rejected: %s", note.pk, reason)
    return provider.reply(False, reason)


def refuse_oversized(provider_name: str, remote_addr: str | None, length: int) -> None:
    """A post too large to be a notification, refused unread: only counted in the log."""
    ratelimit.hit(f"notify-unverified:{remote_addr}", *settings.NOTIFY_UNVERIFIED_PER_IP)
    refusals.warning(
        "oversized", "payment notification to %s from %s refused unread: %d bytes", provider_name, remote_addr, length
    )


def apply_gateway_trade(*, payment: Payment, trade: GatewayTrade, source: str) -> str:
    """Act on what the gateway says about a payment (from a verified notification or an active query)."""
    if trade.status == GatewayTrade.SUCCESS:
        return confirm_payment(payment=payment, trade_no=trade.trade_no, source=source)
    if trade.status in (GatewayTrade.FAILED, GatewayTrade.CLOSED):
        with suppress(IllegalMove):  # a success already confirmed (or refunded) outranks a later failure report
            move(payment, PaymentStatus.FAILED, event=Event.PAYMENT_TRANSITION, detail={"source": source})
        return NotificationOutcome.ACCEPTED
    return NotificationOutcome.ACCEPTED  # still pending: nothing to do


def confirm_payment(*, payment: Payment, trade_no: str, source: str) -> str:
    """Mark a payment succeeded — once, however often and however concurrently this is called — and pay its
    order, which opens the classes. Money for an order that is no longer payable is kept and flagged."""
    with transaction.atomic():
        try:
            payment, before = move(
                payment,
                PaymentStatus.SUCCEEDED,
                event=Event.PAYMENT_TRANSITION,
                detail={"source": source},
                gateway_trade_no=trade_no,
                paid_at=timezone.now(),
                confirmed_by=source,
            )
        except IllegalMove:  # refunded already
            return NotificationOutcome.DUPLICATE
        if before is None:
            return NotificationOutcome.DUPLICATE
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if order.status == OrderStatus.PENDING:
            orders.transition(order, OrderStatus.PAID, reason=f"payment {payment.number} ({source})")
            return NotificationOutcome.ACCEPTED
        payment.flag = PaymentFlag.DUPLICATE if order.status == OrderStatus.PAID else PaymentFlag.LATE
        payment.save(update_fields=["flag"])
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
    """Refund a succeeded payment through its gateway. For a paid order the classes must have no study yet; the
    order becomes 已退款 and its classes close. A flagged (late or duplicate) payment is refunded alone.

    Serialised end to end: the payment row (with its order and classes) stays locked while the gateway is asked, so
    a second click waits and then finds the payment refunded — one gateway refund, ever — and a learner cannot begin
    studying the class in between (`orders.refund_refusal` asks learning, which locks the classes' rows until the
    refund commits; the first credited heartbeat needs such a row). A refund is rare and the gateway call is bounded
    (10 s), so the wait is short. If the gateway does not answer, the refund stays 已申请 and the next click sends the
    same refund number, which the gateway treats as the same refund."""
    failure = ""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == PaymentStatus.REFUNDED:
            raise UserError("这笔支付已经退款，无需重复操作。")
        if payment.status != PaymentStatus.SUCCEEDED:
            raise UserError("只有支付成功的记录可以退款。")
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        refunds_order = not payment.flag and order.status == OrderStatus.PAID
        if refunds_order and (refusal := orders.refund_refusal(order)):  # learning: a class with study
            raise UserError(refusal)
        refund = payment.refunds.filter(status=RefundStatus.REQUESTED).first()  # an earlier try, outcome unknown
        if refund is None:
            refund = Refund.objects.create(
                payment=payment, number=new_refund_number(), amount=payment.amount, reason=reason, actor=actor
            )
        try:
            result = get_provider(payment.provider).refund(
                payment, refund_no=refund.number, amount=refund.amount, reason=reason
            )
        except GatewayError:
            logger.exception("refund %s: no clear answer from the gateway", refund.number)
            failure = "支付平台暂时没有答复，退款结果未知。请稍后再点一次“退款”查询并完成（不会重复退款）。"
        else:
            if not result.succeeded:
                Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
                failure = "支付平台拒绝了退款请求。"
            else:
                Refund.objects.filter(pk=refund.pk).update(
                    status=RefundStatus.PENDING if result.pending else RefundStatus.SUCCEEDED,
                    gateway_refund_no=result.gateway_refund_no,
                )
                move(
                    payment,
                    PaymentStatus.REFUNDED,
                    event=Event.REFUND,
                    actor=actor,
                    detail={"order": order.number, "amount": str(refund.amount)},
                    flag=PaymentFlag.RESOLVED if payment.flag else "",
                )
                if refunds_order:
                    orders.transition(order, OrderStatus.REFUNDED, actor=actor, reason=reason)
    if failure:
        raise UserError(failure)
    refund.refresh_from_db()
    return refund


def accept_late_payment(*, payment: Payment, actor) -> Order:
    """Finance reopens a closed or cancelled order with the late payment that arrived for it."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.flag != PaymentFlag.LATE or payment.status != PaymentStatus.SUCCEEDED:
            raise UserError("只有标记为“关闭后到账”的支付可以重新开通。")
        order = orders.transition(payment.order, OrderStatus.PAID, actor=actor, reason="late payment accepted")
        Payment.objects.filter(pk=payment.pk).update(flag=PaymentFlag.RESOLVED)
        record(Event.PAYMENT_FLAG, actor=actor, obj=payment, result="resolved", action="reopen")
    return order


def new_refund_number():
    return "R" + secrets.token_hex(8).upper()
