"""Security requirements 35–43 (payments and asynchronous notifications), each through the real notify URL or the
pay action, then checked in the database. Notifications are built and signed the way Alipay and WeChat Pay build
them (test keys from keys.py). 38 (concurrent replays) and the concurrent half of 43 are in test_concurrency.py
(PostgreSQL); the provider-level details of each rule are in test_provider_alipay.py / test_provider_wechat.py."""

import logging
import re
import time
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jxjy.audit.models import AuditRecord, Event
from jxjy.learning.models import Enrollment
from jxjy.orders.models import OrderStatus
from jxjy.orders.tests.helpers import place
from jxjy.payments import services, tasks
from jxjy.payments.models import IdempotencyKey, MockBankTrade, NotificationOutcome, Payment, PaymentNotification
from jxjy.payments.providers.wechat import WechatPayProvider

from . import keys
from . import test_provider_alipay as ali
from . import test_provider_wechat as wx
from .helpers import COUNTING_PROVIDERS, CountingMockBank

pytestmark = pytest.mark.django_db

ALIPAY = "jxjy.payments.providers.alipay.AlipayProvider"
WECHAT = "jxjy.payments.providers.wechat.WechatPayProvider"


def gateway_payment(order, provider):
    return Payment.objects.create(order=order, provider=provider, amount=order.amount, status="pending")


def unchanged(order, payment):
    order.refresh_from_db()
    payment.refresh_from_db()
    return order.status == OrderStatus.PENDING and payment.status == "pending" and not Enrollment.objects.exists()


def rejection_audited():
    return AuditRecord.objects.filter(event=Event.PAYMENT_NOTIFY, result="rejected").exists()


# --- Alipay (35–37) --------------------------------------------------------------------------------------------


@pytest.fixture
def alipay(settings, order):
    settings.PAYMENT_PROVIDERS = {"alipay": ALIPAY}
    settings.ALIPAY_APP_ID = ali.APP_ID
    settings.ALIPAY_PRIVATE_KEY = keys.private_pem("alipay-app")
    settings.ALIPAY_PUBLIC_KEY = keys.public_pem("alipay")
    settings.ALIPAY_SELLER_ID = ali.SELLER_ID
    return gateway_payment(order, "alipay")


def alipay_notify(payment, key="alipay", **overrides):
    fields = {"out_trade_no": payment.number, "total_amount": "120.00", **overrides}
    _params, body = ali.signed_notification(key=key, **fields)
    return post_alipay(body)


def post_alipay(body):
    return Client().post("/payments/notify/alipay/", data=body, content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("sign", ["absent", "empty", "garbage", "stranger", "our-own-app-key"])
def test_req_35_alipay_notify_with_bad_or_absent_sign_changes_nothing(alipay, order, sign):
    params = ali.notification_params(out_trade_no=alipay.number, total_amount="120.00")
    string = keys.alipay_sign_string(params, exclude=("sign", "sign_type"))
    signature = {
        "absent": None,
        "empty": "",
        "garbage": "QUJD",
        "stranger": keys.sign("stranger", string),
        "our-own-app-key": keys.sign("alipay-app", string),
    }[sign]
    if signature is not None:
        params["sign"] = signature
    reply = post_alipay(urlencode(params).encode())
    assert reply.content != b"success" and reply.content == b"failure"
    assert unchanged(order, alipay)
    assert PaymentNotification.objects.get().outcome == NotificationOutcome.REJECTED
    assert rejection_audited()


@pytest.mark.parametrize(
    "overrides",
    [
        {"app_id": "2021000999999999", "auth_app_id": "2021000999999999"},
        {"seller_id": "2088000000000001"},
        {"out_trade_no": "P20260101000000000000000"},
        {"total_amount": "0.01"},
        {"total_amount": "119.99"},
        {"total_amount": "120.001"},
    ],
    ids=["app_id", "seller_id", "unknown out_trade_no", "amount 0.01", "amount 119.99", "amount 3 places"],
)
def test_req_36_alipay_notify_signed_but_not_ours_is_ignored_with_an_alert(alipay, order, overrides, caplog):
    caplog.set_level(logging.WARNING)
    reply = alipay_notify(alipay, **overrides)
    assert reply.content == b"failure"
    assert unchanged(order, alipay)
    assert rejection_audited()
    alerts = [r for r in caplog.records if r.levelno >= logging.ERROR and "ALERT" in r.getMessage()]
    assert len(alerts) == 1


def test_req_36_amounts_are_compared_as_decimals(alipay, order):
    assert alipay_notify(alipay, total_amount="120.0").content == b"success"  # the same amount, written shorter
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize("trade_status", ["TRADE_SUCCESS", "TRADE_FINISHED"])
def test_req_37_alipay_paid_once_and_answered_with_exactly_success(alipay, order, trade_status):
    replies = [alipay_notify(alipay, trade_status=trade_status) for _ in range(3)]
    for reply in replies:
        assert reply.status_code == 200 and reply.content == b"success" and len(reply.content) == 7
        assert reply["Content-Type"].startswith("text/plain") and not reply.has_header("Location")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and Enrollment.objects.count() == 1
    transitions = AuditRecord.objects.filter(event=Event.ORDER_TRANSITION, detail__after=OrderStatus.PAID)
    assert transitions.count() == 1


@pytest.mark.parametrize("trade_status", ["WAIT_BUYER_PAY", "TRADE_CLOSED"])
def test_req_37_alipay_unpaid_states_do_not_pay(alipay, order, trade_status):
    assert alipay_notify(alipay, trade_status=trade_status).content == b"success"  # heard, nothing to do
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not Enrollment.objects.exists()


# --- WeChat Pay (39–41) ----------------------------------------------------------------------------------------


@pytest.fixture
def wechat(settings, order):
    settings.PAYMENT_PROVIDERS = {"wechat": WECHAT}
    settings.WECHAT_APP_ID = wx.APP_ID
    settings.WECHAT_MCH_ID = wx.MCH_ID
    settings.WECHAT_MCH_PRIVATE_KEY = keys.private_pem("wechat-merchant")
    settings.WECHAT_MCH_SERIAL = wx.MCH_SERIAL
    settings.WECHAT_API_V3_KEY = wx.API_V3_KEY
    settings.WECHAT_PLATFORM_PUBLIC_KEY = keys.public_pem("wechat-platform")
    settings.WECHAT_PLATFORM_SERIAL = wx.PLATFORM_SERIAL
    return gateway_payment(order, "wechat")


def wechat_body(payment, resource=None, **fields):
    paid = {"out_trade_no": payment.number, "amount": {"total": 12000, "payer_total": 12000, "currency": "CNY"}}
    return wx.encrypt_resource(wx.transaction(**{**paid, **fields})) if resource is None else resource


def post_wechat(body, headers):
    return Client().post("/payments/notify/wechat/", data=body, content_type="application/json", headers=headers)


def assert_wechat_fail(reply):
    assert 400 <= reply.status_code < 600
    data = reply.json()
    assert data["code"] == "FAIL" and data["message"]


@pytest.mark.parametrize(
    "attack",
    ["no signature", "bad signature", "stranger's signature", "unknown serial", "6 minutes old", "6 minutes ahead"],
)
def test_req_39_wechat_notify_with_bad_signature_headers_is_refused(wechat, order, attack):
    options = {
        "stranger's signature": {"key": "stranger"},
        "unknown serial": {"serial": "PUB_KEY_ID_0000000000000000000000000099"},
        "6 minutes old": {"timestamp": int(time.time()) - 360},
        "6 minutes ahead": {"timestamp": int(time.time()) + 360},
    }.get(attack, {})
    body, headers = wx.notification(wechat_body(wechat), **options)
    if attack == "no signature":
        del headers["wechatpay-signature"]
    if attack == "bad signature":
        headers["wechatpay-signature"] = keys.sign("wechat-platform", b"something else")
    assert_wechat_fail(post_wechat(body, headers))
    assert unchanged(order, wechat)
    assert rejection_audited()


@pytest.fixture
def no_parsing(monkeypatch):
    def parsed(self, data):
        raise AssertionError("a notification that failed decryption was parsed")

    monkeypatch.setattr(WechatPayProvider, "_trade", parsed)


@pytest.mark.parametrize("field", ["ciphertext", "associated_data", "nonce"])
def test_req_40_wechat_notify_with_altered_resource_fails_the_gcm_tag(wechat, order, no_parsing, field):
    resource = wechat_body(wechat)
    if field == "ciphertext":
        resource = wx._flip_ciphertext(resource)
    else:
        resource[field] = {"associated_data": "transactioN", "nonce": "fdasflkja485"}[field]
    body, headers = wx.notification(resource)  # the envelope is properly signed: only the tag check can tell
    assert_wechat_fail(post_wechat(body, headers))
    assert unchanged(order, wechat)


@pytest.mark.parametrize(
    "fields",
    [
        {"mchid": "1900000001"},
        {"appid": "wx0000000000000000"},
        {"out_trade_no": "P20260101000000000000000"},
        {"amount": {"total": 11999, "payer_total": 11999, "currency": "CNY"}},
        {"amount": {"total": 1, "payer_total": 1, "currency": "CNY"}},
        {"trade_state": "NOTPAY"},
        {"trade_state": "PAYERROR"},
    ],
    ids=["mchid", "appid", "out_trade_no", "amount 119.99", "amount 0.01", "NOTPAY", "PAYERROR"],
)
def test_req_41_wechat_notify_checked_against_the_order(wechat, order, fields):
    body, headers = wx.notification(wechat_body(wechat, **fields))
    post_wechat(body, headers)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not Enrollment.objects.exists()


def test_req_41_wechat_notify_answered_204_empty_at_once_with_the_slow_work_queued(wechat, order, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.process_notification, "delay", queued.append)
    body, headers = wx.notification(wechat_body(wechat))
    began = time.monotonic()
    reply = post_wechat(body, headers)
    took = time.monotonic() - began
    assert (reply.status_code, reply.content) == (204, b"")
    assert took < 5
    # The answer did not wait for the order to be paid and its classes opened: that work is queued.
    order.refresh_from_db()
    note = PaymentNotification.objects.get()
    assert order.status == OrderStatus.PENDING and queued == [note.pk]
    assert note.outcome == NotificationOutcome.RECEIVED and note.payment == wechat
    assert AuditRecord.objects.get(event=Event.PAYMENT_NOTIFY).result == "accepted"  # audited in the request
    tasks.process_notification.apply(args=queued)  # a worker takes it
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and Enrollment.objects.count() == 1
    note.refresh_from_db()
    assert note.outcome == NotificationOutcome.ACCEPTED


def test_req_41_queued_work_survives_the_signature_window(wechat, order, monkeypatch):
    """The queued work trusts what was verified when the notification came: a worker that takes it 10 minutes
    later (WeChat signatures are good for 5) still pays the order."""
    queued = []
    monkeypatch.setattr(tasks.process_notification, "delay", queued.append)
    body, headers = wx.notification(wechat_body(wechat))
    assert post_wechat(body, headers).status_code == 204
    with freeze_time(timezone.now() + timedelta(minutes=10)):
        tasks.process_notification.apply(args=queued)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


# --- Reconciliation (42) ---------------------------------------------------------------------------------------
# test_req_42_no_notification_within_15_minutes_the_job_queries_and_settles is in test_payments.py.


# --- Idempotency-Key on the pay action (43) --------------------------------------------------------------------


@pytest.fixture
def counting(settings):
    settings.PAYMENT_PROVIDERS = COUNTING_PROVIDERS
    CountingMockBank.reset()
    return CountingMockBank


def pay(client, order, key=None, field=None, provider="mockbank", **extra):
    data = {"provider": provider, **extra}
    if field:
        data["idempotency_key"] = field
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(reverse("payments:pay", args=[order.number]), data, headers=headers)


def test_req_43_same_key_same_body_same_response_one_gateway_order(learner, order, counting):
    key = str(uuid.uuid4())
    first = pay(learner, order, key)
    second = pay(learner, order, key)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert len(counting.calls["start"]) == 1 and Payment.objects.count() == 1
    # Without a key, each click still reaches the gateway (the double-click protection reuses the payment).
    third = pay(learner, order)
    assert third["Location"] != first["Location"] and len(counting.calls["start"]) == 2
    assert Payment.objects.count() == 1


def test_req_43_same_key_different_body_is_422(learner, order, counting, settings):
    key = str(uuid.uuid4())
    assert pay(learner, order, key).status_code == 302
    refused = pay(learner, order, key, provider="alipay")
    assert refused.status_code == 422
    assert "与先前提交的不同" in refused.content.decode()
    assert len(counting.calls["start"]) == 1


def test_req_43_same_key_for_another_order_is_422(learner, alice, order, counting, catalog):
    key = str(uuid.uuid4())
    assert pay(learner, order, key).status_code == 302
    other = place(learner, catalog[(2025, "L4")])
    assert pay(learner, other, key).status_code == 422
    assert len(counting.calls["start"]) == 1


def test_req_43_key_kept_24_hours(learner, alice, order, counting):
    key = str(uuid.uuid4())
    began = timezone.now()
    with freeze_time(began):
        first = pay(learner, order, key)
    with freeze_time(began + timedelta(hours=23, minutes=59)):
        assert tasks.purge_idempotency_keys.delay().get() == 0
        learner.force_login(alice)  # the session itself ended long ago
        again = pay(learner, order, key)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert len(counting.calls["start"]) == 1
    with freeze_time(began + timedelta(hours=24, minutes=1)):
        assert services.purge_idempotency_keys() == 1
    assert not IdempotencyKey.objects.exists()


def test_req_43_duplicate_while_the_first_is_running_is_409(learner, alice, order, counting):
    key = str(uuid.uuid4())
    IdempotencyKey.objects.create(user=alice, key=key, fingerprint=pay_fingerprint(order), locked_at=timezone.now())
    refused = pay(learner, order, key)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "正在处理" in page and key in page  # 继续支付 sends the same request again
    assert not counting.calls["start"]


def test_req_43_a_key_whose_first_request_died_runs_again_later(learner, alice, order, counting):
    key = str(uuid.uuid4())
    stale = timezone.now() - timedelta(minutes=3)
    IdempotencyKey.objects.create(user=alice, key=key, fingerprint=pay_fingerprint(order), locked_at=stale)
    assert pay(learner, order, key).status_code == 302
    assert len(counting.calls["start"]) == 1


def test_req_43_keys_are_per_user(learner, order, counting, bob, catalog):
    key = str(uuid.uuid4())
    assert pay(learner, order, key).status_code == 302
    other = Client()
    other.force_login(bob)
    bobs = place(other, catalog[(2026, "L4")])
    reply = pay(other, bobs, key)
    assert reply.status_code == 302 and bobs.number in MockBankTrade.objects.latest("pk").order_number
    assert len(counting.calls["start"]) == 2


@pytest.mark.parametrize(
    "key",
    ["not-a-uuid", str(uuid.uuid1()), str(uuid.uuid4()).replace("-", ""), "{" + str(uuid.uuid4()) + "}",
     str(uuid.uuid4()) + "x" * 250],
    ids=["not a uuid", "uuid1", "no hyphens", "braces", "over 255"],
)  # fmt: skip
def test_req_43_keys_must_be_uuid4_of_at_most_255_chars(learner, order, counting, key):
    assert pay(learner, order, key).status_code == 400
    assert not counting.calls["start"] and not IdempotencyKey.objects.exists()


def test_req_43_the_pay_form_sends_a_key_of_its_own(learner, order, counting):
    """A browser form cannot send the header: each rendered pay form carries a new key, so sending the same form
    twice is one request; a newly rendered form is a new request."""
    page = learner.get(reverse("orders:detail", args=[order.number])).content.decode()
    keys_on_page = set(re.findall(r'name="idempotency_key" value="([0-9a-f-]{36})"', page))
    assert len(keys_on_page) == 1
    (field,) = keys_on_page
    assert uuid.UUID(field).version == 4
    first = pay(learner, order, field=field)
    second = pay(learner, order, field=field)
    assert first["Location"] == second["Location"] and len(counting.calls["start"]) == 1
    again = learner.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert field not in again


def test_req_43_an_error_answer_is_repeated_too(learner, order, counting, settings):
    """The first answer is kept, an error included: the same request again gets it, even if it would now work."""
    key = str(uuid.uuid4())
    settings.DEV_TOOLS = False  # the bank is unavailable for the first request
    first = pay(learner, order, key)
    assert first["Location"] == reverse("orders:detail", args=[order.number])
    settings.DEV_TOOLS = True
    again = pay(learner, order, key)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert "请选择支付方式" in learner.get(again["Location"]).content.decode()
    assert not counting.calls["start"]
    assert pay(learner, order, str(uuid.uuid4())).status_code == 302 and len(counting.calls["start"]) == 1


def pay_fingerprint(order):
    """The fingerprint the pay action computes for {"provider": "mockbank"} on this order."""
    from django.test import RequestFactory

    from jxjy.payments.views import _fingerprint

    request = RequestFactory().post(reverse("payments:pay", args=[order.number]), {"provider": "mockbank"})
    return _fingerprint(request)
