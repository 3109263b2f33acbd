from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "jxjy.credits"
    label = "credits"
    verbose_name = "学时账"

    def ready(self):
        from . import personal_data

        personal_data.register()  # its part of 下载我的个人信息 and of 注销 (jxjy.accounts.personal_data)
