from django.contrib import admin

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ["at", "event", "result", "actor", "actor_role", "actor_city", "ip", "object_type", "object_id"]
    list_filter = ["event", "result", "actor_role"]
    search_fields = ["request_id", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        # 三员分立: the 系统管理员 never reads the audit log, whatever permissions or flags the account carries.
        return getattr(request.user, "role", "") != "sysadmin" and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
