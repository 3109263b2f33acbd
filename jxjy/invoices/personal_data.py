"""The invoices part of 下载我的个人信息, and what a completed 注销申请 clears here (jxjy.accounts.personal_data).

Invoices and their 抬头 are kept (the law keeps invoices). The mailing and e-mail details on the learner's orders
(收件人, 电话, 地址, 接收邮箱) only served to deliver an invoice: they are cleared, except on an order whose invoice
request is still pending (finance still has to send it)."""

from jxjy.accounts.personal_data import register_anonymiser, register_exporter, when
from jxjy.orders.models import Order

from .models import InvoiceRequest, InvoiceStatus


def export_invoices(user) -> list:
    requests = InvoiceRequest.objects.filter(order__user=user).select_related("order").order_by("-requested_at")
    return [
        {
            "订单号": item.order.number,
            "开票状态": item.get_status_display(),
            "申请时间": when(item.requested_at),
            "发票号码": item.invoice_number,
            "开票时间": when(item.issued_at),
            "快递单号": item.tracking_number,
            "作废原因": item.void_reason,
            "电子发票": "已上传（可在“我的订单”下载）" if item.pdf else "",
        }
        for item in requests
    ]


def clear_delivery_details(user) -> str:
    orders = Order.objects.filter(user=user).exclude(invoice_requests__status=InvoiceStatus.PENDING)
    cleared = orders.exclude(invoice_email="", invoice_recipient="", invoice_mobile="", invoice_address="").update(
        invoice_email="", invoice_recipient="", invoice_mobile="", invoice_address=""
    )
    return f"清除 {cleared} 个订单的发票邮寄信息"


def register():
    register_exporter("发票", export_invoices)
    register_anonymiser("发票邮寄信息", clear_delivery_details)
