from django.urls import path

from . import views

app_name = "content"

urlpatterns = [
    path("", views.course_list, name="course_list"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("courses/<int:pk>/chapters/new/", views.chapter_create, name="chapter_create"),
    path("chapters/<int:pk>/edit/", views.chapter_edit, name="chapter_edit"),
    path("chapters/<int:pk>/coursewares/new/", views.courseware_create, name="courseware_create"),
    path("coursewares/<int:pk>/edit/", views.courseware_edit, name="courseware_edit"),
    path("coursewares/<int:pk>/poster.jpg", views.courseware_poster, name="courseware_poster"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/status.json", views.job_status, name="job_status"),
    path("courses/<int:pk>/questions/", views.questions, name="questions"),
    path("courses/<int:pk>/questions/import/", views.questions_import, name="questions_import"),
    path("courses/<int:pk>/questions/export.xlsx", views.questions_export, name="questions_export"),
    path("courses/<int:pk>/questions/exam-only/", views.questions_exam_only, name="questions_exam_only"),
    path("questions/template.xlsx", views.questions_template, name="questions_template"),
]
