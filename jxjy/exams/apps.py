from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "jxjy.exams"
    label = "exams"
    verbose_name = "练习与考试"
