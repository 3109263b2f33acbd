from django.contrib import admin

from .models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["training_class", "year", "title", "fee", "hours"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders change state only through their services (payments, refunds), never by editing."""

    list_display = ["number", "user", "amount", "status", "created_at", "paid_at", "invoice_type"]
    list_filter = ["status", "invoice_type", "invoice_delivery"]
    search_fields = ["number"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    readonly_fields = [f.name for f in Order._meta.fields if f.name != "invoice_mobile"]
    exclude = ["invoice_mobile"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
