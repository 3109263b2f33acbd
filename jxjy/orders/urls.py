from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("classes/", views.class_list, name="classes"),
    path("classes/<int:pk>/enroll/", views.enroll_now, name="enroll"),
    path("classes/<int:pk>/pre-enroll/", views.pre_enrollment_add, name="pre_enrollment_add"),
    path("pre-enrollment/", views.pre_enrollment, name="pre_enrollment"),
    path("pre-enrollment/<int:pk>/remove/", views.pre_enrollment_remove, name="pre_enrollment_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="list"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path("orders/<str:number>/confirm/", views.confirm, name="confirm"),
    path("orders/<str:number>/cancel/", views.cancel, name="cancel"),
    path("orders/<str:number>/result/", views.result, name="result"),
    path("orders/<str:number>/status/", views.status, name="status"),
    path("orders/<str:number>/submit/", views.unit_submit, name="unit_submit"),
    path("invitations/<int:pk>/confirm/", views.invitation_confirm, name="invitation_confirm"),
    path("invitations/<int:pk>/decline/", views.invitation_decline, name="invitation_decline"),
]
