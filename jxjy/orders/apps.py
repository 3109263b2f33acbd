from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "jxjy.orders"
    label = "orders"
    verbose_name = "订单"
