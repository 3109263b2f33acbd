import hashlib
import io
import json
import logging
import uuid

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jxjy.accounts.decorators import learner_required
from jxjy.audit.services import client_ip
from jxjy.lib.errors import UserError
from jxjy.orders.models import Order

from . import services, tasks
from .models import MockBankTrade, Payment
from .providers import get_provider

logger = logging.getLogger(__name__)


def _unlogged(response):
    """Django's request logger writes a line for every 4xx; refused notifications are logged (at most one line a
    minute per reason) by services.refusals instead, so a flood of them cannot flood the log."""
    response._has_been_logged = True
    return response


@csrf_exempt  # gateways sign their notifications; there is no browser session to protect here
def notify(request, provider):
    """The asynchronous notification URL of each gateway: answered exactly as that gateway expects."""
    if request.method != "POST":
        return _unlogged(HttpResponseNotAllowed(["POST"]))
    try:
        get_provider(provider)
    except LookupError:
        services.refusals.warning("unknown-provider", "payment notification for unknown provider refused")
        return _unlogged(HttpResponseNotFound())
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.NOTIFY_MAX_BODY_BYTES:  # refused unread: no gateway sends this much
        services.refuse_oversized(provider, client_ip(request), length)
        return _unlogged(HttpResponse(status=413))
    headers = {key.lower(): value for key, value in request.headers.items()}
    reply, verified = services.handle_notification(
        provider_name=provider, body=request.body, headers=headers, remote_addr=client_ip(request)
    )
    if verified is not None:
        _queue_notification(verified)
    return _unlogged(HttpResponse(reply.body, status=reply.status, content_type=reply.content_type))


def _queue_notification(note_id):
    """The gateway is answered without waiting for the order to be paid and its classes opened (a 单位统一报名
    order opens hundreds; WeChat wants its answer within 5 s): that work is queued. If the queue cannot be reached,
    it is done now — answering later beats leaving money unconfirmed."""
    try:
        tasks.process_notification.delay(note_id)
    except Exception:  # noqa: BLE001 - any broker failure
        logger.exception("could not queue payment notification %s; processing it now", note_id)
        services.process_notification(note_id)


@learner_required
def qr(request, number):
    """微信支付 Native: the QR code to scan; the page polls the order's status."""
    payment = get_object_or_404(Payment, number=number, order__user=request.user)
    if not payment.qr_code_text:
        raise Http404
    image = qrcode.make(payment.qr_code_text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    context = {"payment": payment, "order": payment.order, "svg": buffer.getvalue().decode()}
    return render(request, "payments/qr.html", context)


def mockbank(request, number):
    """模拟银行's payment page (development and tests only)."""
    if not settings.DEV_TOOLS:
        raise Http404
    trade = get_object_or_404(MockBankTrade, out_trade_no=number)
    if request.method == "POST" and trade.status == "WAIT":
        succeeded = request.POST.get("result") == "success"
        provider = get_provider("mockbank")
        with transaction.atomic():
            provider.settle(trade, succeeded)
            transaction.on_commit(lambda: tasks.deliver_mockbank_notification.delay(trade.pk))
        return redirect(trade.return_url)
    return render(request, "payments/mockbank.html", {"trade": trade})


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_FIELD = "idempotency_key"  # the pay form's own key, one per rendered form ({% idempotency_key_field %})
NOT_PART_OF_THE_REQUEST = {"csrfmiddlewaretoken", IDEMPOTENCY_FIELD}


def _idempotency_key(request) -> str | None:
    """The request's key (header first, then the form's field): None without one, "" if it is not a UUIDv4."""
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        value = request.POST.get(IDEMPOTENCY_FIELD)
    if value is None:
        return None
    value = value.strip().lower()
    if len(value) > 255:
        return ""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return ""
    return value if parsed.version == 4 and str(parsed) == value else ""


def _fingerprint(request) -> str:
    fields = sorted(
        (name, value)
        for name in request.POST
        if name not in NOT_PART_OF_THE_REQUEST
        for value in request.POST.getlist(name)
    )
    return hashlib.sha256(json.dumps([request.path, fields], ensure_ascii=False).encode()).hexdigest()


@learner_required
@require_POST
def pay(request, number):
    """立即支付 / 继续支付: start (or resume) a payment and send the browser to the gateway.

    With an Idempotency-Key (the header, or the key the pay form carries), the same request again gets the first
    one's answer without a second gateway order; without one, a second click still reuses the open payment."""
    order = get_object_or_404(Order, number=number, user=request.user)
    key = _idempotency_key(request)
    if key is None:
        return _start_payment(request, order)[0]
    if not key:
        return _pay_refused(request, order, 400, "支付请求无效，请刷新页面后重新点击“立即支付”。")
    try:
        row, first = services.claim_idempotency_key(user=request.user, key=key, fingerprint=_fingerprint(request))
    except UserError as exc:
        return _pay_refused(request, order, exc.status, exc.message, key=key if exc.status == 409 else "")
    if not first:
        if row.response_message:
            messages.error(request, row.response_message)
        response = HttpResponseRedirect(row.response_location)
        response.status_code = row.response_status
        return response
    try:
        response, message = _start_payment(request, order)
    except BaseException:
        services.release_idempotency_key(row)
        raise
    services.save_idempotent_response(row, status=response.status_code, location=response["Location"], message=message)
    return response


def _start_payment(request, order):
    """(the redirect, the error message shown with it or "")."""
    try:
        payment, result = services.start_payment(
            order=order, provider_name=request.POST.get("provider", ""), request=request
        )
    except UserError as exc:
        message = exc.message
    except LookupError:
        message = "请选择支付方式。"
    else:
        if result.redirect_url:
            return redirect(result.redirect_url), ""
        return redirect("payments:qr", number=payment.number), ""
    messages.error(request, message)
    return redirect("orders:detail", number=order.number), message


def _pay_refused(request, order, status, message, key=""):
    """400 / 409 / 422 for a key that cannot be used; for 409 the page offers 继续, which sends the same request
    (and key) again and so gets the first request's answer once it is ready."""
    context = {"order": order, "message": message, "key": key, "provider": request.POST.get("provider", "")}
    return render(request, "payments/pay_refused.html", context, status=status)
