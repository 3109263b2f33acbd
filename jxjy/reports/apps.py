from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jxjy.reports"
    label = "reports"
    verbose_name = "统计报表与审计"
