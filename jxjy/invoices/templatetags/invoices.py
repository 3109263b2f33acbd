from django import template
from django.conf import settings

from jxjy.invoices import services
from jxjy.invoices.models import InvoiceStatus

register = template.Library()


@register.inclusion_tag("invoices/_order_invoice.html")
def order_invoice(order):
    """The 开票 panel of 我的订单 · 订单详情 (kept here so the orders app needs only this one tag)."""
    invoice = order.invoice_requests.exclude(status=InvoiceStatus.VOID).first()
    reason = services.can_request(order) if order.status == "paid" and invoice is None else ""
    return {
        "order": order,
        "invoice": invoice,
        "can_request": order.status == "paid" and invoice is None and not reason,
        "reason": reason,
        "request_days": settings.INVOICE_REQUEST_DAYS,
        # A unit order of the invitation flow lists its staff in orders/_unit_roster.html; older ones here.
        "unit_lines": []
        if order.invitations.exists()
        else list(order.lines.filter(learner__isnull=False).select_related("learner")),
    }
