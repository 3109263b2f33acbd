"""The orders part of 下载我的个人信息, and what a completed 注销申请 deletes here (jxjy.accounts.personal_data).

Orders are kept when an account is closed (accounting records the law keeps): only the 预报名清单 goes. Invoices
and their 抬头 are kept too (the law keeps invoices). The mailing and e-mail details on the learner's orders (收件人,
电话, 地址, 接收邮箱) only served to deliver an invoice: they are cleared, except on an order whose invoice request is
still pending (finance still has to send it)."""

from jxjy.accounts.personal_data import register_anonymiser, register_exporter, when

from .models import InvoiceRequest, InvoiceStatus, Order, OrderLine, PreEnrollment


def export_orders(user) -> list:
    orders = Order.objects.filter(user=user).prefetch_related("lines").order_by("-created_at")
    return [
        {
            "订单号": order.number,
            "状态": order.get_status_display(),
            "金额（元）": str(order.amount),
            "下单时间": when(order.created_at),
            "支付时间": when(order.paid_at),
            "取消/关闭/退款时间": when(order.ended_at),
            "班级": [
                {"班级名称": line.title, "年度": line.year, "费用（元）": str(line.fee), "要求学时": str(line.hours)}
                for line in order.lines.all()
            ],
            "发票": {
                "抬头类型": order.get_invoice_type_display(),
                "发票抬头": order.invoice_title,
                "统一社会信用代码": order.invoice_tax_id,
                "配送方式": order.get_invoice_delivery_display(),
                "接收邮箱": order.invoice_email,
                "收件人": order.invoice_recipient,
                "收件人电话": order.invoice_mobile,
                "收件地址": order.invoice_address,
            },
        }
        for order in orders
    ]


def export_unit_lines(user) -> list:
    """单位统一报名: classes a unit paid for this learner (the order itself is the unit's)."""
    lines = OrderLine.objects.filter(learner=user).exclude(order__user=user).select_related("order")
    return [
        {"班级名称": line.title, "年度": line.year, "订单状态": line.order.get_status_display()}
        for line in lines.order_by("-order__created_at", "id")
    ]


def export_pre_enrollments(user) -> list:
    items = PreEnrollment.objects.filter(user=user).select_related("training_class")
    return [{"班级名称": item.training_class.title, "加入时间": when(item.created_at)} for item in items]


def forget_pre_enrollments(user) -> str:
    deleted = PreEnrollment.objects.filter(user=user).delete()[0]
    return f"删除预报名 {deleted} 条"


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
    register_exporter("订单", export_orders)
    register_exporter("单位统一报名", export_unit_lines)
    register_exporter("预报名清单", export_pre_enrollments)
    register_anonymiser("预报名清单", forget_pre_enrollments)
