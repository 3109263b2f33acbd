from celery import shared_task

from . import services


@shared_task
def close_overdue_attempts():
    """Submit exams whose time is up, with the answers saved so far."""
    return services.close_overdue_attempts()
