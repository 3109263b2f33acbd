"""Invoice and unit-order races with real parallel connections on PostgreSQL (skipped on SQLite)."""

import pytest
from django.db import connection

from conftest import make_learner
from jxjy.accounts.models import User
from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.catalog.models import YearClaim
from jxjy.invoices import services
from jxjy.invoices.models import InvoiceRequest
from jxjy.orders import services as orders
from jxjy.orders.models import Order, OrderStatus

from .helpers import TAX_ID

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]
INVOICE = {"invoice_type": "unit", "invoice_title": "南京市某某科技有限公司", "invoice_tax_id": TAX_ID,
           "invoice_delivery": "email", "invoice_email": "cw@example.cn"}  # fmt: skip


def attempt(function):
    def run():
        try:
            return function()
        except (services.InvoiceError, orders.OrderError) as exc:
            return exc.message

    return run


def test_concurrent_invoice_requests_make_one(alice, catalog):
    order = orders.place_order(user=alice, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    results = run_parallel([attempt(lambda: services.request_invoice(order=order, invoice=INVOICE, actor=alice))] * 6)
    assert InvoiceRequest.objects.count() == 1
    assert sum(isinstance(r, InvoiceRequest) for r in results) == 1


def test_unit_order_and_the_learners_own_order_race_for_one_year(alice, catalog):
    worker = make_learner("陈刚", "32010519800101001", "13900000001")
    User.objects.filter(pk=worker.pk).update(grade="L4")
    row = services.RosterRow(1, worker.id_number, "陈刚")

    def unit():
        return services.place_unit_order(contact=alice, year=2026, rows=[row], invoice=INVOICE)

    def own():
        return orders.place_order(user=worker, class_ids=[catalog[(2026, "L3")].pk], invoice={"invoice_type": "none"})

    results = run_parallel([attempt(unit), attempt(own)])
    assert sum(isinstance(r, Order) for r in results) == 1
    assert YearClaim.objects.filter(user=worker, year_id=2026).count() == 1
    assert Order.objects.count() == 1
