"""The beat scheduler of the fault tests: the project's own CELERY_BEAT_SCHEDULE, kept in memory (no schedule file in
the checkout), with some periods shortened so a test need not wait five minutes for the payment query.

    celery -A jxjy beat -S jxjy.tests_faults.beat.Scheduler    (env FAULT_BEAT_EVERY="query-pending-payments=2")
"""

import os
from datetime import timedelta

from celery import beat, schedules


def overrides(value: str) -> dict[str, float]:
    """'name=seconds,name=seconds' → {name: seconds}."""
    pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
    return {name.strip(): float(seconds) for name, seconds in pairs}


class Scheduler(beat.Scheduler):
    def setup_schedule(self):
        super().setup_schedule()
        for name, seconds in overrides(os.environ.get("FAULT_BEAT_EVERY", "")).items():
            self.schedule[name].schedule = schedules.schedule(timedelta(seconds=seconds), app=self.app)
