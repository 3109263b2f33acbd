from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "jxjy.portal"
    label = "portal"
    verbose_name = "门户"
