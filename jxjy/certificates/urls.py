from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("certificates/", views.certificate_list, name="list"),
    path("certificates/archive/", views.archive, name="archive"),
    path("certificates/archive/print/", views.print_certificate, name="print"),
    path("certificates/<str:number>.pdf", views.download, name="download"),
    path("verify/", views.verify_lookup, name="verify"),
    path("verify/<str:token>/", views.verify, name="verify_token"),
]
