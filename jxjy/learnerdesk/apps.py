from django.apps import AppConfig


class LearnerdeskConfig(AppConfig):
    name = "jxjy.learnerdesk"
    label = "learnerdesk"
    verbose_name = "学员管理"
