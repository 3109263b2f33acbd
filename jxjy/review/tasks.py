from datetime import date

from celery import shared_task

from . import scan


@shared_task
def scan_yesterday():
    """The nightly 学习异常 scan (beat, 02:30): yesterday's evidence, every rule."""
    return scan.scan_day(scan.yesterday())


@shared_task
def scan_on_demand(day: str):
    """立即检查: one day's evidence (today so far) at an office's request."""
    return scan.scan_day(date.fromisoformat(day))
