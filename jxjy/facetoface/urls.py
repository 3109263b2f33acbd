from django.urls import path

from . import views

app_name = "facetoface"

urlpatterns = [
    path("facetoface/", views.home, name="home"),
    path("facetoface/<int:class_id>/book/", views.book, name="book"),
    path("facetoface/bookings/<int:booking_id>/cancel/", views.cancel, name="cancel"),
    path("facetoface/bookings/<int:booking_id>/form.pdf", views.booking_form, name="form"),
    path("f2f/scan/<str:token>/", views.scan, name="scan"),
]
