from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "jxjy.portal"
    label = "portal"
    verbose_name = "门户"

    def ready(self):
        import os

        from django.conf import settings

        # `make run` without Redis: close unpaid orders and query payments from a thread of runserver.
        if settings.DEV_TOOLS and settings.CELERY_TASK_ALWAYS_EAGER and os.environ.get("RUN_MAIN") == "true":
            from jxjy.celery import start_inprocess_beat

            start_inprocess_beat()
