from django.contrib import admin

from jxjy.lib.admin import ReadOnlyAdminMixin

from .models import Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "training_class", "status", "opened_at", "closed_at"]
    list_filter = ["status", "training_class__year"]
    readonly_fields = [f.name for f in Enrollment._meta.fields]
    allow_change = True  # as before (every field is read-only)
