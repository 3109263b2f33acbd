"""The payments part of 下载我的个人信息 (jxjy.accounts.personal_data). Payments and refunds are kept when an account
is closed (accounting records the law keeps), so there is nothing to anonymise here."""

from jxjy.accounts.personal_data import register_exporter, when

from .models import Payment


def export_payments(user) -> list:
    payments = (
        Payment.objects.filter(order__user=user).select_related("order").prefetch_related("refunds").order_by("-id")
    )
    return [
        {
            "支付流水号": payment.number,
            "订单号": payment.order.number,
            "支付方式": payment.provider_label,
            "金额（元）": str(payment.amount),
            "状态": payment.get_status_display(),
            "银行/平台交易号": payment.gateway_trade_no,
            "创建时间": when(payment.created_at),
            "到账时间": when(payment.paid_at),
            "退款": [
                {
                    "退款单号": refund.number,
                    "金额（元）": str(refund.amount),
                    "原因": refund.reason,
                    "状态": refund.get_status_display(),
                    "申请时间": when(refund.created_at),
                }
                for refund in payment.refunds.all()
            ],
        }
        for payment in payments
    ]


def register():
    register_exporter("支付记录", export_payments)
