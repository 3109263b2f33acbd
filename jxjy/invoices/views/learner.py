"""The learner's side: 申请开票 and the invoice file under 我的订单, and 单位统一报名缴费."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from jxjy.accounts.decorators import learner_required
from jxjy.audit.models import Event
from jxjy.audit.services import client_ip, record
from jxjy.catalog.models import TrainingClass
from jxjy.lib import ratelimit
from jxjy.orders.models import Order

from .. import services
from ..forms import InvoiceRequestForm, RosterForm, UnitInvoiceForm


@learner_required
def request_invoice(request, number):
    """申请开票 on one of my paid orders (prefilled with what I chose at checkout)."""
    order = get_object_or_404(Order, number=number, user=request.user)
    problem = services.can_request(order)
    if problem:
        messages.error(request, problem)
        return redirect("orders:detail", number=order.number)
    unit_only = services.is_unit_order(order)
    form = InvoiceRequestForm(request.POST or None, user=request.user, order=order, unit_only=unit_only)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_invoice(order=order, invoice=form.invoice(), actor=request.user, request=request)
        except services.InvoiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "开票申请已提交，财务开具后可在本页查看。")
        return redirect("orders:detail", number=order.number)
    context = {"order": order, "form": form, "deadline": services.request_deadline(order), "menu": "orders"}
    return render(request, "invoices/request.html", context)


def invoice_pdf(request, number, pk):
    """The invoice PDF, for the order's buyer and finance only; anyone else 404."""
    item = services.visible_file(request.user, pk)
    if item is None or item.order.number != number:
        raise Http404
    if not request.user.is_learner:
        record(Event.INVOICE_DOWNLOAD, request=request, obj=item.order, invoice=item.pk)
    response = FileResponse(item.pdf.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=f"发票-{item.order.number}.pdf")  # fmt: skip
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _limited(request):
    """Per contact and per address: sending lists too often, or too many rows that could not be listed today."""
    user_ok = ratelimit.hit(f"unit-enroll-user:{request.user.pk}", settings.UNIT_ENROLL_POSTS_PER_USER_HOUR, 3600)
    ip_ok = ratelimit.hit(f"unit-enroll-ip:{client_ip(request)}", settings.UNIT_ENROLL_POSTS_PER_IP_HOUR, 3600)
    refused_ok = services.refused_rows_today(request.user) < settings.UNIT_ENROLL_REFUSED_ROWS_PER_USER_DAY
    return not (user_ok and ip_ok and refused_ok)


@learner_required
def unit_enrollment(request):
    """单位统一报名缴费: the unit's contact person lists the unit's staff; each is invited to confirm on their own
    account, and the unit pays one order for those who did."""
    if request.method == "POST" and _limited(request):
        return render(request, "invoices/unit_enrollment_limited.html", {"menu": "orders"}, status=429)
    now = timezone.now()
    years = sorted(
        set(TrainingClass.objects.published().filter(enroll_start__lte=now, enroll_end__gt=now)
            .values_list("year_id", flat=True)),
        reverse=True,
    )  # fmt: skip
    roster = RosterForm(request.POST or None, request.FILES or None, years=years)
    invoice = UnitInvoiceForm(request.POST or None, user=request.user)
    rows, problem = None, None
    if request.method == "POST" and roster.is_valid() and invoice.is_valid():
        rows = roster.cleaned_data["rows"]
        try:
            order = services.invite_unit_staff(contact=request.user, year=roster.cleaned_data["year"], rows=rows,
                                               invoice=invoice.invoice(), request=request)  # fmt: skip
        except services.RosterError as exc:
            problem = exc.message
            services.count_refused_rows(request.user, rows)
        except services.InvoiceError as exc:
            problem, rows = exc.message, None
        else:
            messages.success(
                request,
                f"已向 {len(rows)} 名学员发出报名邀请（短信通知）。学员本人登录确认后，"
                "请回到本页为已确认的学员提交订单并支付。",
            )
            return redirect("orders:detail", number=order.number)
    context = {"roster": roster, "invoice": invoice, "rows": rows, "problem": problem, "years": years,
               "menu": "orders"}  # fmt: skip
    status = 400 if request.method == "POST" and (problem or roster.errors or invoice.errors) else 200
    return render(request, "invoices/unit_enrollment.html", context, status=status)
