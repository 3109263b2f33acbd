from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jxjy.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self):
        from . import signals  # noqa: F401
