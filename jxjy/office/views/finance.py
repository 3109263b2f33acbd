"""业务后台 → the finance desk (订单管理, 支付与异常到账, 退款记录, 发票管理): orders, payments with their
notifications, refunds, flagged late payments, and invoice requests. Finance and the province only (everyone else
403: office.menu)."""

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib.errors import UserError
from jxjy.lib.masking import mask_mobile
from jxjy.lib.paging import LONG_LIST_AHEAD, paginate
from jxjy.office.forms.finance import (
    InvoiceFilterForm,
    IssueForm,
    OrderFilterForm,
    PaymentFilterForm,
    RefundForm,
    VoidForm,
)
from jxjy.office.menu import office_view
from jxjy.orders import invoices
from jxjy.orders.models import InvoiceRequest, InvoiceStatus, Order, OrderLine
from jxjy.payments.models import Payment, PaymentFlag, PaymentNotification, Refund
from jxjy.payments.services import accept_late_payment, refund_payment

# --- 发票 --------------------------------------------------------------------------------------------------------


@office_view("finance_invoices")
def invoice_list(request):
    filters = InvoiceFilterForm(request.GET or None)
    items = filters.apply(InvoiceRequest.objects.select_related("order__user"))
    context = {
        "filters": filters,
        "page": paginate(request, items),
        "pending": InvoiceRequest.objects.filter(status=InvoiceStatus.PENDING).count(),
        "office_menu": "finance_invoices",
    }
    return render(request, "office/finance/invoice_list.html", context)


@office_view("finance_invoices")
def invoice_detail(request, pk):
    item = get_object_or_404(InvoiceRequest.objects.select_related("order__user", "issued_by"), pk=pk)
    issue_form, void_form = IssueForm(prefix="issue"), VoidForm(prefix="void")
    status, mobile_revealed = 200, False
    if request.method == "POST" and request.POST.get("action") == "reveal_mobile":
        # The recipient's full number, for the courier's waybill only: asked for, and audited.
        record(Event.PI_REVEAL, request=request, obj=item.order, field="invoice_mobile")
        mobile_revealed = True
    elif request.method == "POST":
        status = 400  # a POST that comes back to this page was refused (a file too big, not a PDF …)
        try:
            if request.POST.get("action") == "issue":
                issue_form = IssueForm(request.POST, request.FILES, prefix="issue")
                if issue_form.is_valid():
                    data = issue_form.cleaned_data
                    invoices.issue_invoice(
                        item=item,
                        invoice_number=data["invoice_number"],
                        pdf=data["pdf"],
                        tracking_number=data["tracking_number"],
                        actor=request.user,
                    )
                    messages.success(request, "已标记为已开票，学员可在“我的订单”中查看。")
                    return redirect("office:finance_invoice", pk=pk)
            elif request.POST.get("action") == "void":
                void_form = VoidForm(request.POST, prefix="void")
                if void_form.is_valid():
                    invoices.void_invoice(item=item, reason=void_form.cleaned_data["reason"], actor=request.user)
                    messages.success(request, "发票申请已作废。")
                    return redirect("office:finance_invoice", pk=pk)
        except UserError as exc:
            messages.error(request, exc.message)
    context = {
        "item": item,
        "order": item.order,
        "lines": item.order.lines.select_related("learner"),
        "issue_form": issue_form,
        "void_form": void_form,
        "office_menu": "finance_invoices",
        "mobile_revealed": mobile_revealed,
    }
    mobile = item.order.invoice_mobile
    context["recipient_mobile"] = mobile if mobile_revealed else mask_mobile(mobile)
    return render(request, "office/finance/invoice_detail.html", context, status=status)


# --- 订单 --------------------------------------------------------------------------------------------------------


@office_view("finance_orders")
def order_list(request):
    filters = OrderFilterForm(request.GET or None)
    orders = filters.apply(
        Order.objects.select_related("user")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.only("order_id", "title", "year")))
        .order_by("-created_at", "-id")
    )
    page = paginate(request, orders, ahead=LONG_LIST_AHEAD)
    for order in page.object_list:  # counted from the prefetched lines: a COUNT … GROUP BY would read every order
        order.line_count = len(order.lines.all())
    context = {"filters": filters, "page": page, "office_menu": "finance_orders"}
    return render(request, "office/finance/order_list.html", context)


@office_view("finance_orders")
def order_detail(request, number):
    order = get_object_or_404(Order.objects.select_related("user"), number=number)
    payments = order.payments.annotate(notification_count=Count("notifications")).order_by("-created_at")
    context = {
        "order": order,
        "lines": order.lines.select_related("learner"),
        "payments": payments,
        "invoices": order.invoice_requests.all(),
        "refund_form": RefundForm(),
        "office_menu": "finance_orders",
    }
    return render(request, "office/finance/order_detail.html", context)


# --- 支付、异常到账、退款 -------------------------------------------------------------------------------------------


@office_view("finance_payments")
def payment_list(request):
    filters = PaymentFilterForm(request.GET or None)
    payments = filters.apply(
        Payment.objects.select_related("order")
        .annotate(notification_count=Count("notifications"))
        .order_by("-created_at", "-id")
    )
    flagged = Payment.objects.filter(flag__in=[PaymentFlag.LATE, PaymentFlag.DUPLICATE]).count()
    context = {
        "filters": filters,
        "page": paginate(request, payments),
        "flagged": flagged,
        "office_menu": "finance_payments",
    }
    return render(request, "office/finance/payment_list.html", context)


@office_view("finance_payments")
def payment_detail(request, number):
    payment = get_object_or_404(Payment.objects.select_related("order__user"), number=number)
    context = {
        "payment": payment,
        "order": payment.order,
        "notifications": PaymentNotification.objects.filter(payment=payment),
        "refunds": payment.refunds.select_related("actor"),
        "refund_form": RefundForm(),
        "office_menu": "finance_payments",
    }
    return render(request, "office/finance/payment_detail.html", context)


@office_view("finance_payments")
@require_POST
def payment_refund(request, number):
    """退款 through the payments service; an order with an issued invoice needs it voided (红字发票) first."""
    payment = get_object_or_404(Payment, number=number)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写退款原因。")
    elif not payment.flag and payment.order.invoice_requests.filter(status=InvoiceStatus.ISSUED).exists():
        messages.error(request, "该订单已开具发票，请先开具红字发票并在“发票管理”中作废，再退款。")
    else:
        try:
            refund = refund_payment(payment=payment, actor=request.user, reason=form.cleaned_data["reason"])
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已退款 ¥{refund.amount}（{refund.get_status_display()}）。")
    return redirect("office:finance_payment", number=number)


@office_view("finance_payments")
@require_POST
def payment_accept_late(request, number):
    """关闭后到账 → 重新开通订单 (the other way to resolve a late payment is to refund it)."""
    payment = get_object_or_404(Payment, number=number)
    try:
        order = accept_late_payment(payment=payment, actor=request.user)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"订单 {order.number} 已重新开通。")
    return redirect("office:finance_payment", number=number)


@office_view("finance_refunds")
def refund_list(request):
    refunds = Refund.objects.select_related("payment__order", "actor")
    context = {"page": paginate(request, refunds), "office_menu": "finance_refunds"}
    return render(request, "office/finance/refund_list.html", context)
