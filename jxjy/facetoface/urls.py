from django.urls import path

from .views import learner, office

app_name = "facetoface"

urlpatterns = [
    path("facetoface/", learner.home, name="home"),
    path("facetoface/<int:class_id>/book/", learner.book, name="book"),
    path("facetoface/bookings/<int:booking_id>/cancel/", learner.cancel, name="cancel"),
    path("facetoface/bookings/<int:booking_id>/form.pdf", learner.booking_form, name="form"),
    path("office/facetoface/", office.class_list, name="office_list"),
    path("office/facetoface/new/", office.class_create, name="office_create"),
    path("office/facetoface/<int:pk>/", office.class_detail, name="office_class"),
    path("office/facetoface/<int:pk>/edit/", office.class_edit, name="office_edit"),
    path("office/facetoface/<int:pk>/export.xlsx", office.export, name="office_export"),
    path("office/facetoface/bookings/<int:booking_id>/attendance/", office.attendance, name="office_attendance"),
]
