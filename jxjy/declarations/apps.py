from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "jxjy.declarations"
    label = "declarations"
    verbose_name = "视同申报"

    def ready(self):
        from . import personal_data

        personal_data.register()  # its part of 下载我的个人信息 and of 注销 (jxjy.accounts.personal_data)
