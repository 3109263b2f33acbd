from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "jxjy.credits"
    label = "credits"
    verbose_name = "学时账"
