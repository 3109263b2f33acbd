from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "jxjy.lib"
    label = "lib"
    verbose_name = "公共组件"

    def ready(self):
        from . import checks  # noqa: F401
