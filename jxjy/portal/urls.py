from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/files/<int:pk>/", views.notice_attachment, name="notice_attachment"),
    path("contact/", views.contact, name="contact"),
    path("faq/", views.faq, name="faq"),
    path("manual.pdf", views.manual, name="manual"),
    path("privacy/", views.privacy, name="privacy"),
    path("a11y/", views.toggle_a11y, name="a11y"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # Pages that name no icon (the admin's) make browsers ask for /favicon.ico.
    path("favicon.ico", views.favicon),
]
