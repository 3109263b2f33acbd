from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "jxjy.catalog"
    label = "catalog"
    verbose_name = "课程与班级"
