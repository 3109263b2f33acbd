from django.urls import path

from . import views

app_name = "learnerdesk"

urlpatterns = [
    path("", views.search, name="search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reset-password/", views.reset_password, name="reset_password"),
    path("<int:pk>/unlock/", views.unlock, name="unlock"),
    path("import/", views.roster_import, name="import"),
    path("import/template.xlsx", views.roster_template, name="import_template"),
]
