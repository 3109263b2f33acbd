from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.year, name="year"),
    path("export/", views.year_export, name="year_export"),
    path("audit/", views.audit, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
]
