from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "jxjy.learning"
    label = "learning"
    verbose_name = "学习"

    def ready(self):
        from . import personal_data, receivers  # noqa: F401

        personal_data.register()  # its part of 下载我的个人信息 and of 注销 (jxjy.accounts.personal_data)
