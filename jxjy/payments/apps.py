from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "jxjy.payments"
    label = "payments"
    verbose_name = "支付"
