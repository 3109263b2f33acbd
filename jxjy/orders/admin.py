from django.contrib import admin

from jxjy.lib.admin import ReadOnlyAdminMixin

from .models import Order, OrderLine, UnitInvitation


class OrderLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderLine
    extra = 0
    readonly_fields = ["training_class", "year", "title", "fee", "hours"]
    allow_change = True  # as before: its `learner` is not among readonly_fields


class UnitInvitationInline(ReadOnlyAdminMixin, admin.TabularInline):
    """单位统一报名: who was listed and who confirmed (changed only by the learners themselves)."""

    model = UnitInvitation
    extra = 0
    fields = readonly_fields = ["learner", "training_class", "status", "line", "created_at", "decided_at"]
    allow_change = True  # as before (every field it shows is read-only)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Orders change state only through their services (payments, refunds), never by editing."""

    list_display = ["number", "user", "amount", "status", "created_at", "paid_at", "invoice_type"]
    list_filter = ["status", "invoice_type", "invoice_delivery"]
    search_fields = ["number"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, UnitInvitationInline]
    readonly_fields = [f.name for f in Order._meta.fields if f.name != "invoice_mobile"]
    exclude = ["invoice_mobile"]
    allow_change = True  # as before (every field it shows is read-only)
