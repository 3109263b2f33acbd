from django.conf import settings
from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("orders/<str:number>/pay/", views.pay, name="pay"),
    path("payments/notify/<slug:provider>/", views.notify, name="notify"),
    path("payments/<str:number>/qr/", views.qr, name="qr"),
]

if settings.DEV_TOOLS:  # the 模拟银行's own page exists in development only
    urlpatterns += [path("mockbank/<str:number>/", views.mockbank, name="mockbank")]
