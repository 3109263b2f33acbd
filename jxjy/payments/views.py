import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jxjy.audit.services import client_ip

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
