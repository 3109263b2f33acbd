"""Payment races with real parallel connections on PostgreSQL (skipped on SQLite)."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection, connections
from django.test import Client

from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.learning.models import Enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import Order, OrderStatus
from jxjy.payments.models import NotificationOutcome, Payment, PaymentNotification

from .helpers import body_for, notify

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


def pending_payment(alice, catalog):
    order = orders.place_order(user=alice, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})
    return Payment.objects.create(order=order, provider="mockbank", amount=order.amount, status="pending")


def test_100_concurrent_copies_of_one_notification_open_one_enrollment(alice, catalog):
    payment = pending_payment(alice, catalog)
    body = body_for(payment)
    workers = 25
    barrier = Barrier(workers)

    def send(index):
        if index < workers:
            barrier.wait()  # the first wave starts at the same instant
        try:
            response = notify(Client(), body)
            return response.status_code, response.content
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        replies = list(pool.map(send, range(100)))
    assert replies == [(200, b"OK")] * 100
    assert Enrollment.objects.count() == 1
    assert Order.objects.get().status == OrderStatus.PAID
    outcomes = list(PaymentNotification.objects.values_list("outcome", flat=True))
    assert len(outcomes) == 100
    assert outcomes.count(NotificationOutcome.ACCEPTED) == 1
    assert outcomes.count(NotificationOutcome.DUPLICATE) == 99


def test_double_submitted_checkout_makes_one_order(alice, catalog):
    def submit():
        client = Client()
        client.force_login(alice)
        return client.post(
            "/checkout/", {"classes": str(catalog[(2026, "L4")].pk), "invoice_type": "none", "delivery": "email"}
        ).status_code

    statuses = run_parallel([submit] * 6)
    assert Order.objects.count() == 1
    assert statuses.count(302) == 1 and statuses.count(400) == 5


def test_a_payment_racing_the_timeout_is_never_lost(alice, catalog):
    """The closing job and the bank's notification arrive together: the money ends either in a paid
    order or in a flagged payment — never nowhere."""
    for round_no in range(5):
        payment = pending_payment(alice, catalog)
        Order.objects.filter(pk=payment.order_id).update(expires_at=payment.order.created_at)
        run_parallel(
            [
                orders.close_expired_orders,
                lambda p=payment, n=round_no: notify(Client(), body_for(p, trade_no=f"MB{n}")).status_code,
            ]
        )
        payment.refresh_from_db()
        order = Order.objects.get(pk=payment.order_id)
        assert payment.status == "succeeded"
        assert (order.status == OrderStatus.PAID and not payment.flag) or (
            order.status == OrderStatus.CLOSED and payment.flag == "late"
        )
        # Free the year for the next round.
        if order.status == OrderStatus.PAID:
            orders.transition(order, OrderStatus.REFUNDED)
