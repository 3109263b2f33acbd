from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "jxjy.payments"
    label = "payments"
    verbose_name = "支付"

    def ready(self):
        from . import checks, personal_data  # noqa: F401 - checks registers the payments system checks

        personal_data.register()  # its part of 下载我的个人信息 and of 注销 (jxjy.accounts.personal_data)
