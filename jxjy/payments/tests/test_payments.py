from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import YearClaim
from jxjy.learning.models import Enrollment, EnrollmentStatus
from jxjy.lib.errors import UserError
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus
from jxjy.orders.tests.helpers import place
from jxjy.payments import services
from jxjy.payments.models import (
    MockBankTrade,
    NotificationOutcome,
    Payment,
    PaymentFlag,
    PaymentNotification,
    PaymentStatus,
)

from .helpers import body_for, notify, start

pytestmark = pytest.mark.django_db


def test_pay_redirects_to_the_mock_bank_page(learner, order):
    payment, response = start(learner, order)
    assert response.url == reverse("payments:mockbank", args=[payment.number])
    assert payment.status == PaymentStatus.PENDING and payment.amount == order.amount
    page = learner.get(response.url).content.decode()
    assert order.number in page and "¥120.00" in page and "支付成功" in page and "支付失败" in page
    trade = MockBankTrade.objects.get(out_trade_no=payment.number)
    assert trade.notify_url.endswith("/payments/notify/mockbank/")
    assert trade.return_url.endswith(reverse("orders:result", args=[order.number]))


def test_a_second_click_reuses_the_payment(learner, order):
    first, _ = start(learner, order)
    second, _ = start(learner, order)
    assert first.pk == second.pk and Payment.objects.count() == 1


def test_the_return_page_only_shows_status(learner, order):
    payment, _ = start(learner, order)
    page = learner.get(reverse("orders:result", args=[order.number])).content.decode()
    assert "正在确认支付结果" in page
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert learner.get(reverse("orders:status", args=[order.number])).json() == {"status": "pending", "label": "待支付"}


def test_valid_notification_pays_the_order_and_opens_the_class(learner, alice, order, catalog):
    payment, _ = start(learner, order)
    response = notify(Client(), body_for(payment))
    assert response.status_code == 200 and response.content == b"OK"
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at
    assert payment.status == PaymentStatus.SUCCEEDED and payment.gateway_trade_no == "MB0001"
    assert payment.confirmed_by == "notify"
    enrollment = Enrollment.objects.get(user=alice)
    assert enrollment.training_class == catalog[(2026, "L4")] and enrollment.status == EnrollmentStatus.OPENED
    note = PaymentNotification.objects.get()
    assert note.outcome == NotificationOutcome.ACCEPTED and note.payment == payment and '"SUCCESS"' in note.body
    assert catalog[(2026, "L4")].title in learner.get(reverse("learning:center")).content.decode()
    assert "支付成功，班级已开通" in learner.get(reverse("orders:result", args=[order.number])).content.decode()


def test_replayed_notification_opens_one_enrollment(learner, order):
    payment, _ = start(learner, order)
    body = body_for(payment)
    replies = [notify(Client(), body) for _ in range(10)]
    assert all(r.status_code == 200 and r.content == b"OK" for r in replies)
    assert Enrollment.objects.count() == 1
    outcomes = list(PaymentNotification.objects.values_list("outcome", flat=True))
    assert outcomes.count(NotificationOutcome.ACCEPTED) == 1 and outcomes.count(NotificationOutcome.DUPLICATE) == 9


@pytest.mark.parametrize(
    "make_body, signature, reason",
    [
        (lambda p: body_for(p), "0" * 64, "验签失败"),
        (lambda p: body_for(p), "", "验签失败"),
        (lambda p: body_for(p, merchant="SOMEONE-ELSE"), None, "商户号不符"),
        (lambda p: body_for(p, amount=Decimal("0.01")), None, "金额不符"),
        (lambda p: body_for(p, amount=Decimal("120.001")), None, "金额不符"),
        (lambda p: body_for(p, number="P00000000000000"), None, "未知的支付流水号"),
        (lambda p: b"not json", None, "验签失败"),
    ],
)
def test_bad_notifications_change_nothing_and_are_recorded(learner, order, make_body, signature, reason):
    payment, _ = start(learner, order)
    response = notify(Client(), make_body(payment), signature)
    assert response.status_code == 400
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PENDING and payment.status == PaymentStatus.PENDING
    assert not Enrollment.objects.exists()
    note = PaymentNotification.objects.get()
    assert note.outcome == NotificationOutcome.REJECTED and reason in note.error
    assert AuditRecord.objects.filter(event=Event.PAYMENT_NOTIFY, result="rejected").exists()


def test_stale_notification_is_refused(learner, order):
    payment, _ = start(learner, order)
    body = body_for(payment)
    with freeze_time(timezone.now() + timedelta(minutes=10)):
        assert notify(Client(), body).status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_notify_needs_no_csrf_but_only_post(learner, order):
    payment, _ = start(learner, order)
    strict = Client(enforce_csrf_checks=True)
    assert notify(strict, body_for(payment)).status_code == 200
    assert strict.get("/payments/notify/mockbank/").status_code == 405
    assert strict.post("/payments/notify/nosuchbank/", data=b"x", content_type="text/plain").status_code == 404


def test_failed_payment_leaves_the_order_payable(learner, order):
    payment, _ = start(learner, order)
    assert notify(Client(), body_for(payment, status="FAILED")).status_code == 200
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and order.status == OrderStatus.PENDING
    retry, _ = start(learner, order)
    assert retry.pk != payment.pk
    notify(Client(), body_for(retry, trade_no="MB0002"))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_mock_bank_page_settles_and_returns(learner, order, django_capture_on_commit_callbacks, monkeypatch):
    payment, response = start(learner, order)
    sent = []
    monkeypatch.setattr("jxjy.payments.tasks.deliver_mockbank_notification.delay", lambda pk: sent.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        reply = learner.post(response.url, {"result": "success"})
    assert reply.url.endswith(reverse("orders:result", args=[order.number]))
    trade = MockBankTrade.objects.get(out_trade_no=payment.number)
    assert trade.status == "SUCCESS" and sent == [trade.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING  # only the notification pays


def test_mock_bank_is_not_there_without_dev_tools(learner, order, settings):
    payment, response = start(learner, order)
    settings.DEV_TOOLS = False
    assert learner.get(response.url).status_code == 404


def test_late_payment_for_a_closed_order_is_flagged_not_lost(learner, alice, order):
    payment, _ = start(learner, order)
    with freeze_time(timezone.now() + timedelta(minutes=31)):
        orders.close_expired_orders()
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert notify(Client(), body_for(payment)).content == b"OK"
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.flag == PaymentFlag.LATE
    assert order.status == OrderStatus.CLOSED and not Enrollment.objects.exists()
    assert PaymentNotification.objects.get().outcome == NotificationOutcome.FLAGGED
    assert AuditRecord.objects.filter(event=Event.PAYMENT_FLAG, result="flagged").exists()
    # Finance reopens it: the order is paid and the class opens.
    services.accept_late_payment(payment=payment, actor=None)
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID and payment.flag == PaymentFlag.RESOLVED
    assert Enrollment.objects.filter(user=alice).count() == 1


def test_late_payment_cannot_reopen_a_year_taken_meanwhile(learner, alice, order, catalog):
    payment, _ = start(learner, order)
    orders.cancel_order(order=order, actor=alice)
    place(learner, catalog[(2026, "L4")])  # a new order takes the year
    notify(Client(), body_for(payment))
    with pytest.raises(UserError):
        services.accept_late_payment(payment=payment, actor=None)
    payment.refresh_from_db()
    assert payment.flag == PaymentFlag.LATE  # still waiting for a refund


def test_second_payment_for_a_paid_order_is_flagged_duplicate(learner, order):
    first = Payment.objects.create(order=order, provider="mockbank", amount=order.amount, status="pending")
    second = Payment.objects.create(order=order, provider="mockbank", amount=order.amount, status="pending")
    notify(Client(), body_for(first, trade_no="MB1"))
    notify(Client(), body_for(second, trade_no="MB2"))
    second.refresh_from_db()
    assert second.flag == PaymentFlag.DUPLICATE and Enrollment.objects.count() == 1


def test_req_42_no_notification_within_15_minutes_the_job_queries_and_settles(learner, order):
    """No notification (lost, or the gateway gave up retrying): the beat job asks the gateway after 15 minutes,
    settles the order and audits what it found."""
    start_time = timezone.now()
    with freeze_time(start_time):
        payment, _ = start(learner, order)
        trade = MockBankTrade.objects.get(out_trade_no=payment.number)
        trade.status, trade.trade_no = "SUCCESS", "MB-LOST"
        trade.save()
    with freeze_time(start_time + timedelta(minutes=10)):
        assert services.query_pending_payments() == 0  # too early: the notification may still come
    with freeze_time(start_time + timedelta(minutes=16)):
        from jxjy.payments.tasks import query_pending_payments

        assert query_pending_payments.delay().get() == 1
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.confirmed_by == "query"
    assert order.status == OrderStatus.PAID and Enrollment.objects.count() == 1
    audit = AuditRecord.objects.get(event=Event.PAYMENT_QUERY)
    assert (audit.result, audit.object_id, audit.detail["status"]) == ("accepted", str(payment.pk), "SUCCESS")


def test_query_marks_abandoned_payments_failed(learner, order):
    start_time = timezone.now()
    with freeze_time(start_time):
        payment, _ = start(learner, order)
    with freeze_time(start_time + timedelta(minutes=20)):
        services.query_pending_payments()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # the bank says: still waiting
    MockBankTrade.objects.filter(out_trade_no=payment.number).update(status="FAILED")
    with freeze_time(start_time + timedelta(minutes=25)):
        services.query_pending_payments()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_refund_closes_the_class_and_frees_the_year(learner, alice, order, finance_user):
    payment, _ = start(learner, order)
    MockBankTrade.objects.filter(out_trade_no=payment.number).update(status="SUCCESS", trade_no="MB-R")
    notify(Client(), body_for(payment, trade_no="MB-R"))
    refund = services.refund_payment(payment=payment, actor=finance_user, reason="学员申请")
    assert refund.status == "succeeded" and refund.amount == Decimal("120.00")
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and payment.status == PaymentStatus.REFUNDED
    assert Enrollment.objects.get().status == EnrollmentStatus.REFUNDED
    assert not YearClaim.objects.filter(user=alice).exists()
    assert AuditRecord.objects.filter(event=Event.REFUND, actor=finance_user).exists()


def test_no_refund_once_study_has_begun(learner, order, finance_user):
    payment, _ = start(learner, order)
    notify(Client(), body_for(payment))
    Enrollment.objects.update(status=EnrollmentStatus.LEARNING)
    with pytest.raises(UserError, match="已开始学习"):
        services.refund_payment(payment=Payment.objects.get(pk=payment.pk), actor=finance_user, reason="x")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_refund_through_the_admin_action(client, learner, order, province_admin):
    payment, _ = start(learner, order)
    MockBankTrade.objects.filter(out_trade_no=payment.number).update(status="SUCCESS")
    notify(Client(), body_for(payment))
    client = staff_client(province_admin)
    response = client.post(
        "/admin/payments/payment/", {"action": "refund", "_selected_action": [payment.pk]}, follow=True
    )
    assert "已退款" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


def test_a_closed_order_cannot_be_paid(learner, order):
    orders.transition(order, OrderStatus.CLOSED)
    response = learner.post(reverse("payments:pay", args=[order.number]), {"provider": "mockbank"}, follow=True)
    assert "订单已不能支付" in response.content.decode()
    assert not Payment.objects.exists()


def test_unknown_provider_is_refused(learner, order):
    response = learner.post(reverse("payments:pay", args=[order.number]), {"provider": "alipay"}, follow=True)
    assert "请选择支付方式" in response.content.decode()
    assert not Payment.objects.exists()


class QrProvider:
    """A stand-in for a QR-code gateway (WeChat Native), to test the platform's QR page."""

    name, verbose_name, app_id, merchant_id = "qrpay", "扫码支付", "", ""

    def is_configured(self):
        return True

    def start(self, payment, **kwargs):
        from jxjy.payments.providers.base import StartResult

        return StartResult(qr_code_text="weixin://wxpay/bizpayurl?pr=abc123")


def test_qr_gateway_shows_a_scannable_code_to_its_owner_only(client, learner, order, bob, settings):
    settings.PAYMENT_PROVIDERS = {"qrpay": "jxjy.payments.tests.test_payments.QrProvider"}
    response = learner.post(reverse("payments:pay", args=[order.number]), {"provider": "qrpay"})
    payment = Payment.objects.get()
    assert response.url == reverse("payments:qr", args=[payment.number])
    page = learner.get(response.url).content.decode()
    assert "<svg" in page and "微信扫码支付" in page and "¥120.00" in page
    other = Client()
    other.force_login(bob)
    assert other.get(response.url).status_code == 404
