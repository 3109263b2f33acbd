from django.apps import AppConfig


class OfficeConfig(AppConfig):
    name = "jxjy.office"
    label = "office"
    verbose_name = "业务后台"
