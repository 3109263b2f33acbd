from django.contrib import admin

from jxjy.lib.admin import ReadOnlyAdminMixin

from .models import ExamAttempt


@admin.register(ExamAttempt)
class ExamAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Exam records are evidence: read-only here (the back office of a later issue reports on them)."""

    list_display = ["enrollment", "number", "status", "score", "passed", "started_at", "submitted_at"]
    list_filter = ["status", "passed", "enrollment__training_class__year"]
    readonly_fields = [f.name for f in ExamAttempt._meta.fields]
