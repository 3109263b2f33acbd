from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "jxjy.orders"
    label = "orders"
    verbose_name = "订单"

    def ready(self):
        from . import personal_data

        personal_data.register()  # its part of 下载我的个人信息 and of 注销 (jxjy.accounts.personal_data)
