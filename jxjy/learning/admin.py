from django.contrib import admin

from .models import Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["user", "training_class", "status", "opened_at", "closed_at"]
    list_filter = ["status", "training_class__year"]
    readonly_fields = [f.name for f in Enrollment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
