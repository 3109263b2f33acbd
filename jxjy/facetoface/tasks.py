from celery import shared_task

from . import services, signin


@shared_task
def lapse_waiting_bookings():
    """Give back the years held by waiting bookings of classes that started without a seat for them."""
    return services.lapse_waiting()


@shared_task
def settle_ended_classes():
    """结算考勤 of classes whose last day has passed, by the sign-in records (jxjy.facetoface.signin.settle)."""
    return signin.settle_ended()
