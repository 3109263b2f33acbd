import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jxjy.accounts.decorators import learner_required
from jxjy.audit.services import client_ip
from jxjy.orders.models import Order

from . import services, tasks
from .models import MockBankTrade, Payment
from .providers import get_provider


@csrf_exempt  # gateways sign their notifications; there is no browser session to protect here
@require_POST
def notify(request, provider):
    """The asynchronous notification URL of each gateway: answered exactly as that gateway expects."""
    try:
        get_provider(provider)
    except LookupError:
        raise Http404 from None
    headers = {key.lower(): value for key, value in request.headers.items()}
    reply = services.handle_notification(
        provider_name=provider, body=request.body, headers=headers, remote_addr=client_ip(request)
    )
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)


@login_required
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


@learner_required
@require_POST
def pay(request, number):
    """立即支付 / 继续支付: start (or resume) a payment and send the browser to the gateway."""
    order = get_object_or_404(Order, number=number, user=request.user)
    try:
        payment, result = services.start_payment(
            order=order, provider_name=request.POST.get("provider", ""), request=request
        )
    except services.PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", number=order.number)
    except LookupError:
        messages.error(request, "请选择支付方式。")
        return redirect("orders:detail", number=order.number)
    if result.redirect_url:
        return redirect(result.redirect_url)
    return redirect("payments:qr", number=payment.number)
