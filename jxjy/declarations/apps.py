from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "jxjy.declarations"
    label = "declarations"
    verbose_name = "视同申报"
