"""The 开票 panel of 我的订单 · 订单详情: the order's live invoice request, or 申请开票 when it may be asked for."""

from django import template
from django.conf import settings

from .. import invoices
from ..models import InvoiceStatus, OrderStatus

register = template.Library()


@register.inclusion_tag("orders/_order_invoice.html")
def order_invoice(order):
    invoice = order.invoice_requests.exclude(status=InvoiceStatus.VOID).first()
    reason = invoices.can_request(order) if order.status == OrderStatus.PAID and invoice is None else ""
    return {
        "order": order,
        "invoice": invoice,
        "can_request": order.status == OrderStatus.PAID and invoice is None and not reason,
        "reason": reason,
        "request_days": settings.INVOICE_REQUEST_DAYS,
        # A unit order of the invitation flow lists its staff in orders/_unit_roster.html; older ones here.
        "unit_lines": []
        if order.invitations.exists()
        else list(order.lines.filter(learner__isnull=False).select_related("learner")),
    }
