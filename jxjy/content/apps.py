from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "jxjy.content"
    label = "content"
    verbose_name = "课程内容管理"
