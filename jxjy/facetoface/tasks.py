from celery import shared_task

from . import services


@shared_task
def lapse_waiting_bookings():
    """Give back the years held by waiting bookings of classes that started without a seat for them."""
    return services.lapse_waiting()
