"""One integration test with a real Celery worker consuming from the CI machine's Redis."""

import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from jxjy.orders import services
from jxjy.orders.models import Order, OrderStatus

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis as the broker (set REDIS_URL)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_real_worker_closes_expired_orders(alice, catalog):
    from celery.contrib.testing.worker import start_worker

    from jxjy.celery import app
    from jxjy.orders.tasks import close_expired_orders

    order = services.place_order(user=alice, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    app.conf.task_always_eager = False
    assert app.conf.broker_url.startswith("redis://")
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            close_expired_orders.delay()  # through Redis, not in-process
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                order.refresh_from_db()
                if order.status == OrderStatus.CLOSED:
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    assert order.status == OrderStatus.CLOSED
