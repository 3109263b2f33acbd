"""Celery: a broker (Redis) in production; without one, tasks run in-process (eager) and, under
`runserver`, a small thread stands in for beat so unpaid orders still close in development."""

import os
import threading
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jxjy.settings")

app = Celery("jxjy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def start_inprocess_beat():
    """Run the beat schedule's tasks in a daemon thread (development without a broker only)."""
    import logging

    from django.conf import settings

    log = logging.getLogger(__name__)
    schedule = settings.CELERY_BEAT_SCHEDULE
    app.autodiscover_tasks(force=True)  # import the tasks modules now, not on first use

    def loop():
        last = {}
        while True:
            now = time.monotonic()
            for name, entry in schedule.items():
                if now - last.get(name, 0) >= entry["schedule"]:
                    last[name] = now
                    try:
                        app.tasks[entry["task"]].apply()
                    except Exception:  # keep the loop alive
                        log.exception("in-process beat: %s failed", name)
            time.sleep(5)

    threading.Thread(target=loop, name="inprocess-beat", daemon=True).start()
