"""Invoice requests on paid orders (domain-rules §9) — the 抬头, tax number and delivery stay on the order, where
checkout already keeps them; a request adds the workflow: 待开票 → 已开票 (→ 已作废)."""

import uuid

from django.conf import settings
from django.db import models

from jxjy.orders.models import Order


class InvoiceStatus(models.TextChoices):
    PENDING = "pending", "待开票"
    ISSUED = "issued", "已开票"
    VOID = "void", "已作废"


def invoice_pdf_path(instance, filename):
    """A random name: nothing of the uploaded file's name reaches the storage path."""
    return f"invoices/{uuid.uuid4().hex}.pdf"


class InvoiceRequest(models.Model):
    TRANSITIONS = {
        InvoiceStatus.PENDING: {InvoiceStatus.ISSUED, InvoiceStatus.VOID},
        # 作废 an issued invoice (a red-letter invoice is issued outside the platform); the order may then ask again.
        InvoiceStatus.ISSUED: {InvoiceStatus.VOID},
        InvoiceStatus.VOID: set(),
    }

    order = models.ForeignKey(Order, verbose_name="订单", on_delete=models.PROTECT, related_name="invoice_requests")
    status = models.CharField("开票状态", max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True, db_index=True)
    invoice_number = models.CharField("发票号码", max_length=32, blank=True)
    pdf = models.FileField("电子发票", upload_to=invoice_pdf_path, blank=True)
    tracking_number = models.CharField("快递单号", max_length=40, blank=True)
    issued_at = models.DateTimeField("开票时间", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.CharField("作废原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "发票申请"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "-requested_at"])]
        constraints = [
            # One live request per order; a voided one may be asked for again.
            models.UniqueConstraint(
                fields=["order"], condition=~models.Q(status="void"), name="one_live_invoice_per_order"
            )
        ]

    def __str__(self):
        return f"{self.order.number} {self.get_status_display()}"
