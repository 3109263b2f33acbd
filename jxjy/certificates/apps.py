from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "jxjy.certificates"
    label = "certificates"
    verbose_name = "证书"
