from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("orders/<str:number>/pay/", views.pay, name="pay"),
    path("payments/notify/<slug:provider>/", views.notify, name="notify"),
    path("payments/<str:number>/qr/", views.qr, name="qr"),
    path("mockbank/<str:number>/", views.mockbank, name="mockbank"),
]
