"""退款: one refund per payment, ever — a second click, a retry after the gateway did not answer, and the database
itself all hold to it (the two-clicks-at-once race is proven on PostgreSQL in test_concurrency.py)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from conftest import staff_client
from jxjy.lib.errors import UserError
from jxjy.orders.models import OrderStatus
from jxjy.orders.tests.helpers import place
from jxjy.payments import services
from jxjy.payments.models import MockBankTrade, Payment, PaymentStatus, Refund, RefundStatus
from jxjy.payments.providers.base import GatewayError, RefundResult

from .helpers import COUNTING_PROVIDERS, CountingMockBank, body_for, notify, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(client, alice, catalog, settings):
    settings.PAYMENT_PROVIDERS = COUNTING_PROVIDERS
    CountingMockBank.reset()
    client.force_login(alice)
    order = place(client, catalog[(2026, "L4")])
    payment, _ = start(client, order)
    MockBankTrade.objects.filter(out_trade_no=payment.number).update(status="SUCCESS", trade_no="MB-R")
    assert notify(Client(), body_for(payment, trade_no="MB-R")).status_code == 200
    payment.refresh_from_db()
    return payment


def refund_click(finance, payment):
    response = finance.post(f"/office/finance/payments/{payment.number}/refund/", {"reason": "学员申请"}, follow=True)
    return response.content.decode()


def test_a_second_refund_click_is_told_it_is_done_and_the_gateway_is_asked_once(paid, finance_user):
    finance = staff_client(finance_user)
    assert "已退款 ¥120.00" in refund_click(finance, paid)
    assert "这笔支付已经退款，无需重复操作" in refund_click(finance, paid)
    assert len(CountingMockBank.calls["refund"]) == 1 and Refund.objects.count() == 1
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED and paid.order.status == OrderStatus.REFUNDED


def test_no_answer_from_the_gateway_keeps_the_refund_and_the_retry_sends_the_same_number(
    paid, finance_user, monkeypatch
):
    real_refund = CountingMockBank.refund

    def times_out(self, payment, **kwargs):
        real_refund(self, payment, **kwargs)  # the bank did refund; its answer was lost
        raise GatewayError("timeout")

    monkeypatch.setattr(CountingMockBank, "refund", times_out)
    with pytest.raises(UserError, match="退款结果未知"):
        services.refund_payment(payment=paid, actor=finance_user, reason="学员申请")
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.REQUESTED  # sent, outcome unknown: kept
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.SUCCEEDED
    monkeypatch.setattr(CountingMockBank, "refund", real_refund)
    again = services.refund_payment(payment=paid, actor=finance_user, reason="学员申请")
    assert again.pk == refund.pk and again.status == RefundStatus.SUCCEEDED
    assert CountingMockBank.calls["refund"] == [refund.number, refund.number]  # the same refund, twice asked
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED


def test_a_refused_refund_may_be_tried_again_with_a_new_number(paid, finance_user, monkeypatch):
    monkeypatch.setattr(CountingMockBank, "refund", lambda self, p, **kw: RefundResult(kw["refund_no"], "", False))
    with pytest.raises(UserError, match="拒绝"):
        services.refund_payment(payment=paid, actor=finance_user, reason="学员申请")
    monkeypatch.undo()
    refund = services.refund_payment(payment=Payment.objects.get(pk=paid.pk), actor=finance_user, reason="学员申请")
    assert refund.status == RefundStatus.SUCCEEDED
    assert list(Refund.objects.order_by("created_at").values_list("status", flat=True)) == ["failed", "succeeded"]


def test_the_database_refuses_a_second_live_refund(paid):
    Refund.objects.create(payment=paid, number="R1", amount=Decimal("120.00"), reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(payment=paid, number="R2", amount=Decimal("120.00"), reason="x")
    Refund.objects.filter(number="R1").update(status=RefundStatus.FAILED)
    Refund.objects.create(payment=paid, number="R3", amount=Decimal("120.00"), reason="x")
