from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("center/", views.center, name="center"),
]
