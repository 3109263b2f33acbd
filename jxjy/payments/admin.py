from django.contrib import admin, messages

from jxjy.lib.admin import ReadOnlyAdminMixin
from jxjy.lib.errors import UserError

from .models import Payment, PaymentFlag, PaymentNotification, Refund
from .services import accept_late_payment, refund_payment


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "order", "provider", "amount", "status", "flag", "confirmed_by", "created_at", "paid_at"]
    list_filter = ["status", "flag", "provider"]
    search_fields = ["number", "order__number", "gateway_trade_no"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    actions = ["refund", "accept_late"]
    allow_change = True  # the 退款 and 重新开通 actions are filed under change

    @admin.action(description="退款（原路退回；班级未开始学习时）", permissions=["change"])
    def refund(self, request, queryset):
        for payment in queryset:
            try:
                refund_payment(payment=payment, actor=request.user, reason="财务退款")
            except UserError as exc:
                messages.error(request, f"{payment.number}：{exc.message}")
            else:
                messages.success(request, f"{payment.number}：已退款 ¥{payment.amount}")

    @admin.action(description="关闭后到账：重新开通订单", permissions=["change"])
    def accept_late(self, request, queryset):
        for payment in queryset.filter(flag=PaymentFlag.LATE):
            try:
                order = accept_late_payment(payment=payment, actor=request.user)
            except UserError as exc:
                messages.error(request, f"{payment.number}：{exc.message}")
            else:
                messages.success(request, f"订单 {order.number} 已重新开通。")


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "outcome", "error", "payment", "remote_addr"]
    list_filter = ["provider", "outcome"]
    readonly_fields = [f.name for f in PaymentNotification._meta.fields]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "payment", "amount", "status", "reason", "actor", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Refund._meta.fields]
    allow_change = True  # as before (every field is read-only)
