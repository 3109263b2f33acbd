from django.contrib import admin

from .models import ExamAttempt


@admin.register(ExamAttempt)
class ExamAttemptAdmin(admin.ModelAdmin):
    """Exam records are evidence: read-only here (the back office of a later issue reports on them)."""

    list_display = ["enrollment", "number", "status", "score", "passed", "started_at", "submitted_at"]
    list_filter = ["status", "passed", "enrollment__training_class__year"]
    readonly_fields = [f.name for f in ExamAttempt._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
