from django.contrib import admin

from jxjy.lib.admin import ReadOnlyAdminMixin

from .models import AuditRecord, event_choices


class EventFilter(admin.SimpleListFilter):
    """Events by their Chinese names (the field itself has no choices: jxjy.audit.models.Event)."""

    title = "事件"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return event_choices()

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "event_name", "result", "actor", "actor_role", "actor_city", "ip", "object_type", "object_id"]
    list_filter = [EventFilter, "result", "actor_role"]
    search_fields = ["request_id", "object_id"]
    date_hierarchy = "at"

    @admin.display(description="事件", ordering="event")
    def event_name(self, obj):
        return obj.event_label

    def has_view_permission(self, request, obj=None):
        # 三员分立: the 系统管理员 never reads the audit log, whatever permissions or flags the account carries.
        return getattr(request.user, "role", "") != "sysadmin" and super().has_view_permission(request, obj)
