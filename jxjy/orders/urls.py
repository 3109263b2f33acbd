from django.urls import path

from .views import invoices, orders, unit

app_name = "orders"

urlpatterns = [
    path("classes/", orders.class_list, name="classes"),
    path("classes/<int:pk>/enroll/", orders.enroll_now, name="enroll"),
    path("classes/<int:pk>/pre-enroll/", orders.pre_enrollment_add, name="pre_enrollment_add"),
    path("pre-enrollment/", orders.pre_enrollment, name="pre_enrollment"),
    path("pre-enrollment/<int:pk>/remove/", orders.pre_enrollment_remove, name="pre_enrollment_remove"),
    path("checkout/", orders.checkout, name="checkout"),
    path("orders/", orders.order_list, name="list"),
    path("orders/<str:number>/", orders.order_detail, name="detail"),
    path("orders/<str:number>/confirm/", orders.confirm, name="confirm"),
    path("orders/<str:number>/cancel/", orders.cancel, name="cancel"),
    path("orders/<str:number>/result/", orders.result, name="result"),
    path("orders/<str:number>/status/", orders.status, name="status"),
    path("orders/<str:number>/submit/", orders.unit_submit, name="unit_submit"),
    path("orders/<str:number>/invoice/request/", invoices.request_invoice, name="invoice_request"),
    path("orders/<str:number>/invoice/<int:pk>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
    path("unit-enrollment/", unit.unit_enrollment, name="unit_enrollment"),
    path("invitations/<int:pk>/confirm/", orders.invitation_confirm, name="invitation_confirm"),
    path("invitations/<int:pk>/decline/", orders.invitation_decline, name="invitation_decline"),
]
