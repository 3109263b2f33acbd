"""我的订单 → 申请开票, and the invoice PDF (for the order's buyer and finance)."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from jxjy.accounts.decorators import learner_required
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib.errors import UserError

from .. import invoices
from ..forms import InvoiceRequestForm
from ..models import Order


@learner_required
def request_invoice(request, number):
    """申请开票 on one of my paid orders (prefilled with what I chose at checkout)."""
    order = get_object_or_404(Order, number=number, user=request.user)
    problem = invoices.can_request(order)
    if problem:
        messages.error(request, problem)
        return redirect("orders:detail", number=order.number)
    unit_only = invoices.is_unit_order(order)
    form = InvoiceRequestForm(request.POST or None, user=request.user, order=order, unit_only=unit_only)
    if request.method == "POST" and form.is_valid():
        try:
            invoices.request_invoice(order=order, invoice=form.invoice(), actor=request.user)
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "开票申请已提交，财务开具后可在本页查看。")
        return redirect("orders:detail", number=order.number)
    context = {"order": order, "form": form, "deadline": invoices.request_deadline(order), "menu": "orders"}
    return render(request, "orders/invoice_request.html", context)


def invoice_pdf(request, number, pk):
    """The invoice PDF, for the order's buyer and finance only; anyone else 404."""
    item = invoices.visible_file(request.user, pk)
    if item is None or item.order.number != number:
        raise Http404
    if not request.user.is_learner:
        record(Event.INVOICE_DOWNLOAD, request=request, obj=item.order, invoice=item.pk)
    response = FileResponse(
        item.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"发票-{item.order.number}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
