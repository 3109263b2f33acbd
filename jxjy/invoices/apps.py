from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "jxjy.invoices"
    label = "invoices"
    verbose_name = "发票与单位报名"

    def ready(self):
        from . import personal_data

        personal_data.register()  # its part of 下载我的个人信息 and of 注销 (jxjy.accounts.personal_data)
