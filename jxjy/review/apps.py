from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "jxjy.review"
    label = "review"
    verbose_name = "学习异常"
