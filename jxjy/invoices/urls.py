from django.urls import path

from .views import finance, learner

app_name = "invoices"

urlpatterns = [
    path("orders/<str:number>/invoice/request/", learner.request_invoice, name="request"),
    path("orders/<str:number>/invoice/<int:pk>/pdf/", learner.invoice_pdf, name="pdf"),
    path("unit-enrollment/", learner.unit_enrollment, name="unit_enrollment"),
    path("office/finance/invoices/", finance.invoice_list, name="finance_invoices"),
    path("office/finance/invoices/<int:pk>/", finance.invoice_detail, name="finance_invoice"),
    path("office/finance/orders/", finance.order_list, name="finance_orders"),
    path("office/finance/orders/<str:number>/", finance.order_detail, name="finance_order"),
    path("office/finance/payments/", finance.payment_list, name="finance_payments"),
    path("office/finance/payments/<str:number>/", finance.payment_detail, name="finance_payment"),
    path("office/finance/payments/<str:number>/refund/", finance.payment_refund, name="finance_refund"),
    path("office/finance/payments/<str:number>/accept-late/", finance.payment_accept_late, name="finance_accept_late"),
    path("office/finance/refunds/", finance.refund_list, name="finance_refunds"),
]
