from django.apps import AppConfig


class FacetofaceConfig(AppConfig):
    name = "jxjy.facetoface"
    label = "facetoface"
    verbose_name = "面授班"

    def ready(self):
        from . import personal_data

        personal_data.register()  # its part of 下载我的个人信息 and of 注销 (jxjy.accounts.personal_data)
