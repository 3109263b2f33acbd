import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from jxjy.orders.models import MONEY, Order


class PaymentStatus(models.TextChoices):
    CREATED = "created", "已创建"
    PENDING = "pending", "支付中"
    SUCCEEDED = "succeeded", "支付成功"
    FAILED = "failed", "支付失败"
    REFUNDED = "refunded", "已退款"


class PaymentFlag(models.TextChoices):
    NONE = "", "无"
    LATE = "late", "订单已关闭/取消后到账"
    DUPLICATE = "duplicate", "重复支付"
    RESOLVED = "resolved", "已处理"


def new_payment_number():
    now = timezone.localtime()
    return f"P{now:%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


class Payment(models.Model):
    """One attempt to pay an order through one gateway; `number` is the gateway's out_trade_no."""

    TRANSITIONS = {
        PaymentStatus.CREATED: {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED},
        PaymentStatus.PENDING: {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED},
        # A verified success from the gateway outranks an earlier failure report.
        PaymentStatus.FAILED: {PaymentStatus.SUCCEEDED},
        PaymentStatus.SUCCEEDED: {PaymentStatus.REFUNDED},
        PaymentStatus.REFUNDED: set(),
    }

    order = models.ForeignKey(Order, verbose_name="订单", on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField("支付方式", max_length=16)
    number = models.CharField("支付流水号", max_length=32, unique=True, default=new_payment_number, editable=False)
    amount = models.DecimalField("金额（元）", **MONEY)
    status = models.CharField("状态", max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    gateway_trade_no = models.CharField("银行/平台交易号", max_length=64, blank=True)
    qr_code_text = models.CharField(max_length=256, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField("到账时间", null=True, blank=True)
    flag = models.CharField("异常标记", max_length=16, choices=PaymentFlag.choices, blank=True, default="")
    confirmed_by = models.CharField("确认来源", max_length=16, blank=True, help_text="notify 或 query")

    class Meta:
        verbose_name = verbose_name_plural = "支付记录"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "gateway_trade_no"],
                condition=~models.Q(gateway_trade_no=""),
                name="one_payment_per_gateway_trade",
            )
        ]

    def __str__(self):
        return self.number

    @property
    def provider_label(self):
        from .providers import get_provider

        try:
            return get_provider(self.provider).verbose_name
        except LookupError:
            return self.provider


class NotificationOutcome(models.TextChoices):
    RECEIVED = "received", "已接收"
    ACCEPTED = "accepted", "已处理"
    DUPLICATE = "duplicate", "重复通知"
    REJECTED = "rejected", "已拒绝"
    FLAGGED = "flagged", "异常到账"


class PaymentNotification(models.Model):
    """An asynchronous notification exactly as it arrived, stored before it is processed."""

    provider = models.CharField("支付方式", max_length=16)
    received_at = models.DateTimeField("接收时间", auto_now_add=True, db_index=True)
    remote_addr = models.GenericIPAddressField("来源 IP", null=True, blank=True)
    headers = models.JSONField("请求头", default=dict)
    # A verified notification is kept whole; of one that fails verification (anyone can post anything here) only
    # the first NOTIFY_STORED_BODY_BYTES are kept, with the SHA-256 and length of all of it.
    body = models.TextField("原文")
    body_sha256 = models.CharField("原文 SHA-256", max_length=64, blank=True)
    body_length = models.PositiveIntegerField("原文字节数", default=0)
    # What the verified notification says (out_trade_no, trade_no, amount, status): the queued processing works
    # from this, never by verifying again (a WeChat signature is only accepted for 5 minutes).
    trade = models.JSONField("通知内容", default=dict, blank=True)
    outcome = models.CharField(
        "处理结果", max_length=16, choices=NotificationOutcome.choices, default=NotificationOutcome.RECEIVED
    )
    error = models.CharField("原因", max_length=200, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications")

    class Meta:
        verbose_name = verbose_name_plural = "支付通知"
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.provider} {self.received_at:%Y-%m-%d %H:%M:%S} {self.get_outcome_display()}"

    @property
    def body_truncated(self) -> bool:
        return len(self.body.encode()) < self.body_length


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "已申请"
    SUCCEEDED = "succeeded", "退款成功"
    PENDING = "pending", "退款处理中"
    FAILED = "failed", "退款失败"


LIVE_REFUND_STATUSES = [RefundStatus.REQUESTED, RefundStatus.PENDING, RefundStatus.SUCCEEDED]


class Refund(models.Model):
    """One request to the gateway to return a payment. REQUESTED also means "sent, outcome unknown" (a timeout):
    a retry reuses its number, which the gateways treat as the same refund."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    number = models.CharField("退款单号", max_length=32, unique=True)
    amount = models.DecimalField("金额（元）", **MONEY)
    reason = models.CharField("原因", max_length=100)
    status = models.CharField("状态", max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    gateway_refund_no = models.CharField("平台退款号", max_length=64, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "退款"
        ordering = ["-created_at"]
        constraints = [
            # A payment is returned once: a second live refund is refused by the database itself.
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(status__in=LIVE_REFUND_STATUSES),
                name="one_live_refund_per_payment",
            )
        ]

    def __str__(self):
        return self.number


class MockBankTrade(models.Model):
    """The 模拟银行's own books (development and tests only): what the 'bank' knows about a payment,
    so that it can answer queries the way a real gateway does, notification or not."""

    out_trade_no = models.CharField(max_length=32, unique=True)
    trade_no = models.CharField(max_length=32, blank=True)
    amount = models.DecimalField(**MONEY)
    subject = models.CharField(max_length=200)
    order_number = models.CharField(max_length=32)
    status = models.CharField(max_length=16, default="WAIT")
    refund_no = models.CharField(max_length=32, blank=True)  # like a real gateway: a repeated refund number is no-op
    notify_url = models.URLField(max_length=300)
    return_url = models.URLField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "模拟银行交易"

    def __str__(self):
        return self.out_trade_no


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a learner sent with 立即支付 (security requirement 43, after Stripe): the first request
    with a key runs; a repeat with the same request gets the first one's response, a repeat with another request is
    refused (422), and a repeat while the first is still running is refused (409). Kept 24 hours at least."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the path and the form fields
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    locked_at = models.DateTimeField(null=True, blank=True)  # set while the first request runs
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_location = models.TextField(blank=True)
    response_message = models.CharField(max_length=200, blank=True)  # the error message shown with the redirect

    class Meta:
        verbose_name = verbose_name_plural = "支付请求幂等键"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")]

    def __str__(self):
        return self.key
