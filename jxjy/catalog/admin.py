from django.contrib import admin

from .models import Course, TrainingClass, TrainingYear


@admin.register(TrainingYear)
class TrainingYearAdmin(admin.ModelAdmin):
    list_display = ["year", "public_hours", "professional_hours", "elective_hours", "minutes_per_hour"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "hours", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["title"]


@admin.register(TrainingClass)
class TrainingClassAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "grade", "fee", "enroll_start", "enroll_end", "study_deadline", "is_published"]
    list_filter = ["year", "grade", "is_published"]
    search_fields = ["title"]
    filter_horizontal = ["courses"]
    fieldsets = [
        (None, {"fields": ["year", "grade", "title", "fee", "is_published"]}),
        ("时间", {"fields": ["enroll_start", "enroll_end", "study_deadline"]}),
        ("课程与考核要求", {"fields": ["courses", "public_hours", "professional_hours", "elective_hours"]}),
        (
            "考试设置",
            {
                "fields": [
                    "exam_single",
                    "exam_multiple",
                    "exam_judge",
                    "exam_minutes",
                    "exam_pass_score",
                    "exam_max_attempts",
                ]
            },
        ),
    ]
