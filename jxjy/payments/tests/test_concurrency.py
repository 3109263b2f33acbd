"""Payment races with real parallel connections on PostgreSQL (skipped on SQLite)."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from conftest import staff_client
from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.audit.models import AuditRecord, Event
from jxjy.learning.models import Enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import InvoiceRequest, Order, OrderStatus
from jxjy.payments.models import MockBankTrade, NotificationOutcome, Payment, PaymentNotification, Refund

from .helpers import COUNTING_PROVIDERS, CountingMockBank, body_for, notify

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


def test_two_refund_clicks_make_one_gateway_refund(alice, catalog, finance_user, settings):
    """Finance double-clicks 退款 (two requests at once, a slow gateway): one refund reaches the gateway; the other
    click waits for it and is told the payment is already refunded."""
    settings.PAYMENT_PROVIDERS = COUNTING_PROVIDERS
    CountingMockBank.reset(delay=0.5)
    payment = pending_payment(alice, catalog)
    MockBankTrade.objects.create(out_trade_no=payment.number, trade_no="MB-R", amount=payment.amount, subject="x",
                                 order_number=payment.order.number, status="SUCCESS", notify_url="http://x/",
                                 return_url="http://x/")  # fmt: skip
    assert notify(Client(), body_for(payment, trade_no="MB-R")).status_code == 200
    clients = [staff_client(finance_user), staff_client(finance_user)]
    url = reverse("office:finance_refund", args=[payment.number])

    def click(client):
        page = client.post(url, {"reason": "学员申请"}, follow=True).content.decode()
        return "已退款 ¥120.00" in page, "已经退款，无需重复操作" in page

    outcomes = run_parallel([lambda c=c: click(c) for c in clients])
    assert sorted(outcomes) == [(False, True), (True, False)]
    assert len(CountingMockBank.calls["refund"]) == 1
    assert Refund.objects.count() == 1
    assert Order.objects.get().status == OrderStatus.REFUNDED


def test_req_38_ten_replays_five_at_once_pay_once(alice, catalog):
    """The same notification 10 times, 5 of them at the same instant: every reply is success, one state
    transition, one enrollment — and the order then takes exactly one invoice."""
    payment = pending_payment(alice, catalog)
    body = body_for(payment)

    def send():
        try:
            response = notify(Client(), body)
            return response.status_code, response.content
        finally:
            connections.close_all()

    replies = run_parallel([send] * 5)
    replies += [send() for _ in range(5)]
    assert replies == [(200, b"OK")] * 10
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID and Enrollment.objects.count() == 1
    assert AuditRecord.objects.filter(event=Event.ORDER_TRANSITION, detail__after=OrderStatus.PAID).count() == 1
    outcomes = list(PaymentNotification.objects.values_list("outcome", flat=True))
    assert outcomes.count(NotificationOutcome.ACCEPTED) == 1 and outcomes.count(NotificationOutcome.DUPLICATE) == 9
    invoice = {"invoice_type": "personal", "personal_name": "张伟", "delivery": "email", "email": "zw@example.cn"}
    run_parallel([lambda: _request_invoice(alice, order, invoice)] * 3)
    assert InvoiceRequest.objects.filter(order=order).count() == 1


def _request_invoice(alice, order, invoice):
    client = Client()
    client.force_login(alice)
    try:
        return client.post(reverse("orders:invoice_request", args=[order.number]), invoice).status_code
    finally:
        connections.close_all()


def test_req_43_concurrent_duplicate_is_409_and_one_gateway_order(alice, catalog, settings):
    """The same Idempotency-Key and body sent 6 times at once: one request runs (one gateway order), the others
    are told 409 while it runs."""
    settings.PAYMENT_PROVIDERS = COUNTING_PROVIDERS
    CountingMockBank.reset(delay=0.5)
    order = orders.place_order(user=alice, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})
    key = str(uuid.uuid4())

    def pay():
        client = Client()
        client.force_login(alice)
        response = client.post(
            reverse("payments:pay", args=[order.number]), {"provider": "mockbank"}, headers={"Idempotency-Key": key}
        )
        return response.status_code

    statuses = run_parallel([pay] * 6)
    assert sorted(statuses) == [302] + [409] * 5
    assert len(CountingMockBank.calls["start"]) == 1 and Payment.objects.count() == 1
