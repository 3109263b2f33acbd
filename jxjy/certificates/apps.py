from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "jxjy.certificates"
    label = "certificates"
    verbose_name = "证书"

    def ready(self):
        from . import receivers  # noqa: F401
