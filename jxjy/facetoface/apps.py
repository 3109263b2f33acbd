from django.apps import AppConfig


class FacetofaceConfig(AppConfig):
    name = "jxjy.facetoface"
    label = "facetoface"
    verbose_name = "面授班"
