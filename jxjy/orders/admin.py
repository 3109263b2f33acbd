from django.contrib import admin

from .models import Order, OrderLine, UnitInvitation


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["training_class", "year", "title", "fee", "hours"]

    def has_add_permission(self, request, obj=None):
        return False


class UnitInvitationInline(admin.TabularInline):
    """单位统一报名: who was listed and who confirmed (changed only by the learners themselves)."""

    model = UnitInvitation
    extra = 0
    can_delete = False
    fields = readonly_fields = ["learner", "training_class", "status", "line", "created_at", "decided_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders change state only through their services (payments, refunds), never by editing."""

    list_display = ["number", "user", "amount", "status", "created_at", "paid_at", "invoice_type"]
    list_filter = ["status", "invoice_type", "invoice_delivery"]
    search_fields = ["number"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, UnitInvitationInline]
    readonly_fields = [f.name for f in Order._meta.fields if f.name != "invoice_mobile"]
    exclude = ["invoice_mobile"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
