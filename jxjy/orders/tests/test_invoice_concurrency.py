"""Invoice and unit-order races with real parallel connections on PostgreSQL (skipped on SQLite)."""

import pytest
from django.db import connection

from conftest import make_learner
from jxjy.accounts.models import User
from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.catalog.models import YearClaim
from jxjy.lib.errors import UserError
from jxjy.orders import invoices, unit_enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import InvoiceRequest, OrderLine, OrderStatus

from .invoice_helpers import TAX_ID

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
        except UserError as exc:
            return exc.message

    return run


def test_concurrent_invoice_requests_make_one(alice, catalog):
    order = orders.place_order(user=alice, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    results = run_parallel([attempt(lambda: invoices.request_invoice(order=order, invoice=INVOICE, actor=alice))] * 6)
    assert InvoiceRequest.objects.count() == 1
    assert sum(isinstance(r, InvoiceRequest) for r in results) == 1


def listed(contact, *people):
    """A unit order awaiting `people` (中级工 each), as the 单位统一报名 page makes it."""
    for person in people:
        User.objects.filter(pk=person.pk).update(grade="L4")
    rows = [unit_enrollment.RosterRow(n, p.id_number, p.name) for n, p in enumerate(people, start=1)]
    order = unit_enrollment.invite_unit_staff(contact=contact, year=2026, rows=rows, invoice=INVOICE)
    return order, {i.learner_id: i for i in order.invitations.all()}


@pytest.mark.parametrize("round_", range(5))
def test_confirmation_and_the_learners_own_order_cannot_both_win(alice, catalog, round_):
    worker = make_learner("陈刚", "32010519800101001", "13900000001")
    _, invitations = listed(alice, worker)
    worker = User.objects.get(pk=worker.pk)

    def confirm():
        return orders.confirm_invitation(invitation=invitations[worker.pk], actor=worker)

    def own():
        return orders.place_order(user=worker, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})

    results = run_parallel([attempt(confirm), attempt(own)] if round_ % 2 else [attempt(own), attempt(confirm)])
    winners = [r for r in results if not isinstance(r, str)]
    assert len(winners) == 1, results
    assert YearClaim.objects.filter(user=worker, year_id=2026).count() == 1
    assert OrderLine.objects.filter(year=2026).count() == 1  # the loser left no line behind
    assert YearClaim.objects.get(user=worker).source_id == OrderLine.objects.get(year=2026).pk


def test_a_confirmation_racing_the_units_submission_is_paid_for_or_refused(alice, catalog):
    first = make_learner("陈刚", "32010519800101001", "13900000001")
    late = make_learner("刘敏", "32010519810202002", "13900000002")
    order, invitations = listed(alice, first, late)
    orders.confirm_invitation(invitation=invitations[first.pk], actor=User.objects.get(pk=first.pk))

    def confirm():
        return orders.confirm_invitation(invitation=invitations[late.pk], actor=User.objects.get(pk=late.pk))

    def submit():
        return orders.submit_unit_order(order=order, actor=alice)

    run_parallel([attempt(confirm), attempt(submit)])
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    lines = list(order.lines.all())
    assert order.amount == sum(line.fee for line in lines)  # whoever won, every line in the order is priced
    assert YearClaim.objects.filter(year_id=2026).count() == len(lines)


def test_double_confirmation_makes_one_line(alice, catalog):
    worker = make_learner("陈刚", "32010519800101001", "13900000001")
    order, invitations = listed(alice, worker)
    worker = User.objects.get(pk=worker.pk)
    run_parallel([attempt(lambda: orders.confirm_invitation(invitation=invitations[worker.pk], actor=worker))] * 4)
    order.refresh_from_db()
    assert order.lines.count() == 1 and order.amount == 120
    assert YearClaim.objects.filter(user=worker).count() == 1
