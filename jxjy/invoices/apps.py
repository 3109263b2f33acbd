from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "jxjy.invoices"
    label = "invoices"
    verbose_name = "发票与单位报名"
