import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from jxjy.catalog.models import TrainingClass
from jxjy.lib.fields import EncryptedTextField

MONEY = {"max_digits": 10, "decimal_places": 2}


class PreEnrollment(models.Model):
    """One class in a learner's 预报名清单."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pre_enrollments")
    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "预报名清单"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "training_class"], name="one_pre_enrollment")]

    def __str__(self):
        return f"{self.user} · {self.training_class}"


class OrderStatus(models.TextChoices):
    # 单位统一报名缴费: the unit's order while its listed staff confirm; it holds the years of those who confirmed and
    # is priced and paid for them only (orders.services.submit_unit_order moves it to 待支付).
    AWAITING = "awaiting", "待学员确认"
    PENDING = "pending", "待支付"
    PAID = "paid", "已支付"
    REFUNDED = "refunded", "已退款"
    CANCELLED = "cancelled", "已取消"
    CLOSED = "closed", "已关闭"


class InvoiceType(models.TextChoices):
    NONE = "none", "不需要"
    PERSONAL = "personal", "个人"
    UNIT = "unit", "单位"


class InvoiceDelivery(models.TextChoices):
    EMAIL = "email", "电子发票"
    POST = "post", "邮寄"
    PICKUP = "pickup", "自取"


def new_order_number():
    """JX + Beijing date-time + 6 random digits: unique enough, unguessable enough, readable on the phone."""
    now = timezone.localtime()
    return f"JX{now:%Y%m%d%H%M%S}{secrets.randbelow(1_000_000):06d}"


class Order(models.Model):
    TRANSITIONS = {
        OrderStatus.AWAITING: {OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.CLOSED},
        OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.CLOSED},
        OrderStatus.PAID: {OrderStatus.REFUNDED},
        OrderStatus.REFUNDED: set(),
        # Only finance, accepting a late payment (payments.services.accept_late_payment), reopens an order.
        OrderStatus.CANCELLED: {OrderStatus.PAID},
        OrderStatus.CLOSED: {OrderStatus.PAID},
    }
    RELEASING = {OrderStatus.CANCELLED, OrderStatus.CLOSED, OrderStatus.REFUNDED}

    number = models.CharField("订单号", max_length=32, unique=True, default=new_order_number, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="学员", on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField("状态", max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    amount = models.DecimalField("金额（元）", **MONEY)
    created_at = models.DateTimeField("下单时间", default=timezone.now, db_index=True)
    expires_at = models.DateTimeField("支付截止")  # 待学员确认: the last moment a listed learner may confirm
    paid_at = models.DateTimeField("支付时间", null=True, blank=True)
    ended_at = models.DateTimeField("取消/关闭/退款时间", null=True, blank=True)

    invoice_type = models.CharField(
        "发票抬头类型", max_length=16, choices=InvoiceType.choices, default=InvoiceType.NONE
    )
    invoice_title = models.CharField("发票抬头", max_length=100, blank=True)
    invoice_tax_id = models.CharField("统一社会信用代码", max_length=18, blank=True)
    invoice_delivery = models.CharField("发票配送方式", max_length=16, choices=InvoiceDelivery.choices, blank=True)
    invoice_email = models.EmailField("接收邮箱", blank=True)
    # A snapshot of the 收件地址 at ordering (the address book may change later).
    invoice_recipient = models.CharField("收件人", max_length=30, blank=True)
    invoice_mobile = EncryptedTextField("收件人电话", purpose="address_mobile", blank=True)
    invoice_address = models.CharField("收件地址", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "订单"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"]), models.Index(fields=["user", "-created_at"])]
        constraints = [
            # A unit's order awaiting its staff costs what its confirmed learners cost so far, possibly nothing yet.
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal("0")) | models.Q(status="awaiting", amount__gte=Decimal("0")),
                name="order_amount_positive",
            )
        ]

    def __str__(self):
        return self.number

    def is_payable(self, now=None):
        return self.status == OrderStatus.PENDING and self.expires_at > (now or timezone.now())

    def can_move_to(self, status):
        return status in self.TRANSITIONS[self.status]


class OrderLine(models.Model):
    """What was sold, copied at purchase so later catalogue edits never rewrite history."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    training_class = models.ForeignKey(TrainingClass, on_delete=models.PROTECT, related_name="order_lines")
    year = models.PositiveSmallIntegerField("培训年度")
    title = models.CharField("班级名称", max_length=100)
    fee = models.DecimalField("费用（元）", **MONEY)
    hours = models.DecimalField("要求学时", max_digits=5, decimal_places=1)
    # 单位统一报名缴费: the listed staff member this line enrolls; blank means the order's own learner.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="参训学员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="unit_order_lines",
    )

    class Meta:
        verbose_name = verbose_name_plural = "订单明细"
        ordering = ["year", "id"]
        indexes = [models.Index(fields=["year"])]  # the year report

    def __str__(self):
        return f"{self.title} ¥{self.fee}"

    @property
    def learner_user_id(self):
        """Who studies this line: the listed staff member of a unit order, else the buyer."""
        return self.learner_id or self.order.user_id


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "待确认"
    CONFIRMED = "confirmed", "已确认"
    DECLINED = "declined", "已拒绝"
    EXPIRED = "expired", "已失效"


class UnitInvitation(models.Model):
    """单位统一报名缴费: one listed staff member's 待确认 invitation to the unit's order. Being listed holds nothing;
    the learner's 确认, on their own account, adds their line to the unit's order and takes their year (the
    YearClaim points at that line, as for any online order); 拒绝, the unit submitting the order without them, or
    the order ending leaves them free."""

    TRANSITIONS = {
        InvitationStatus.PENDING: {InvitationStatus.CONFIRMED, InvitationStatus.DECLINED, InvitationStatus.EXPIRED},
        InvitationStatus.CONFIRMED: set(),
        InvitationStatus.DECLINED: set(),
        InvitationStatus.EXPIRED: set(),
    }

    order = models.ForeignKey(Order, verbose_name="单位订单", on_delete=models.CASCADE, related_name="invitations")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="参训学员", on_delete=models.PROTECT, related_name="unit_invitations"
    )
    training_class = models.ForeignKey(TrainingClass, verbose_name="班级", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    line = models.OneToOneField(
        OrderLine, verbose_name="订单明细", null=True, blank=True, on_delete=models.PROTECT, related_name="invitation"
    )
    created_at = models.DateTimeField("邀请时间", default=timezone.now)
    decided_at = models.DateTimeField("确认/拒绝时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位统一报名邀请"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["learner", "status"])]
        constraints = [models.UniqueConstraint(fields=["order", "learner"], name="one_invitation_per_order_learner")]

    def __str__(self):
        return f"{self.order.number} {self.learner_id} {self.get_status_display()}"


# --- 发票 (domain-rules §9): the 抬头, tax number and delivery stay on the order, where checkout already keeps them;
# a request adds the workflow 待开票 → 已开票 (→ 已作废). ---


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
        db_table = "invoices_invoicerequest"  # the table of the former invoices app, kept
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
