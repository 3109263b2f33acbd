"""The notify URL cannot be used to fill the disk or the log (issue 12, item 6): anyone can post to it, so an
unverified body is kept to 8 KB (with the SHA-256 and length of all of it), only so many are kept per address and in
all, log lines about refusals are at most one per reason a minute — and a gateway's real notifications, verified,
are never held back by any of it."""

import hashlib
import json
import logging

import pytest
from django.test import Client
from freezegun import freeze_time

from jxjy.audit.models import AuditRecord, Event
from jxjy.learning.models import Enrollment
from jxjy.lib.throttled_logging import ThrottledLogger
from jxjy.orders.models import OrderStatus
from jxjy.payments.models import NotificationOutcome, Payment, PaymentNotification

from .helpers import NOTIFY_URL, body_for, notify, start

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
FORGED = b"x" * (100 * 1024)


def post_forged(client, body=FORGED, ip="203.0.113.7"):
    return client.post(
        NOTIFY_URL, data=body, content_type="application/json", headers={"x-mockbank-signature": "0" * 64},
        REMOTE_ADDR=ip,
    )  # fmt: skip


def stored_bytes() -> int:
    """What refused posts left in the database: notification rows and their audit records."""
    total = 0
    for note in PaymentNotification.objects.all():
        total += len(note.body.encode()) + len(json.dumps(note.headers)) + len(note.error.encode()) + 64 + 16
    for item in AuditRecord.objects.filter(event=Event.PAYMENT_NOTIFY):
        total += len(json.dumps(item.detail, ensure_ascii=False).encode())
    return total


def payment_lines(caplog):
    return [r for r in caplog.records if r.name.startswith(("jxjy.payments", "django.request", "django.security"))]


def test_1000_forged_100kb_posts_leave_under_8mb_and_few_log_lines_and_a_real_one_still_pays(learner, order, caplog):
    payment, _ = start(learner, order)
    caplog.set_level(logging.INFO)
    attacker = Client()
    with freeze_time("2026-11-02 09:00:00"):
        replies = [post_forged(attacker).status_code for _ in range(1000)]
    assert set(replies) == {400}
    assert stored_bytes() < 8 * MB
    assert PaymentNotification.objects.count() == 20  # NOTIFY_UNVERIFIED_PER_IP in 10 minutes
    lines = payment_lines(caplog)
    assert len(lines) <= 2, [r.getMessage() for r in lines]  # one per reason: stored, and over the limit
    # The real bank, from the very same address, in the same minute: verified, so never held back.
    caplog.clear()
    with freeze_time("2026-11-02 09:00:30"):
        reply = notify(Client(REMOTE_ADDR="203.0.113.7"), body_for(payment))
    assert (reply.status_code, reply.content) == (200, b"OK")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and Enrollment.objects.count() == 1
    assert not payment_lines(caplog)


def test_forged_posts_from_many_addresses_are_bounded_in_all(learner, order):
    start(learner, order)
    with freeze_time("2026-11-02 09:00:00"):
        for n in range(300):
            post_forged(Client(), ip=f"198.51.100.{n % 250 + 1}" if n < 250 else f"198.51.101.{n}")
    assert PaymentNotification.objects.count() == 200  # NOTIFY_UNVERIFIED_TOTAL in 10 minutes
    assert stored_bytes() < 8 * MB


@pytest.fixture
def local_cache(settings):
    """Windows and intervals are counted in the cache; freezegun moves the clock of the local-memory cache (a Redis
    server keeps its own), so tests of a window's end use it."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_the_limit_is_per_window(local_cache, learner, order):
    start(learner, order)
    with freeze_time("2026-11-02 09:00:00") as clock:
        for _ in range(30):
            post_forged(Client())
        assert PaymentNotification.objects.count() == 20
        clock.tick(601)
        post_forged(Client())
    assert PaymentNotification.objects.count() == 21


def test_an_unverified_body_is_kept_to_8kb_with_hash_and_length(learner, order):
    start(learner, order)
    post_forged(Client())
    note = PaymentNotification.objects.get()
    assert note.outcome == NotificationOutcome.REJECTED and "验签失败" in note.error
    assert len(note.body.encode()) == 8 * 1024 and note.body_truncated
    assert note.body_length == len(FORGED) and note.body_sha256 == hashlib.sha256(FORGED).hexdigest()


def test_a_verified_body_is_kept_whole(learner, order):
    payment, _ = start(learner, order)
    body = body_for(payment)
    notify(Client(), body)
    note = PaymentNotification.objects.get()
    assert note.body.encode() == body and not note.body_truncated
    assert note.body_sha256 == hashlib.sha256(body).hexdigest() and note.body_length == len(body)


def test_a_body_too_large_for_any_gateway_is_refused_unread(learner, order, caplog):
    start(learner, order)
    caplog.set_level(logging.INFO)
    for _ in range(50):
        assert post_forged(Client(), body=b"x" * (256 * 1024 + 1)).status_code == 413
    assert not PaymentNotification.objects.exists()
    assert len(payment_lines(caplog)) == 1


def test_real_notifications_are_never_refused_however_many(learner, alice, catalog, order, caplog):
    """A gateway at the year-end peak: hundreds of verified notifications (and their retries) a minute from one
    address, after that address has used up its allowance of forged ones."""
    payment, _ = start(learner, order)
    caplog.set_level(logging.INFO)
    gateway = Client(REMOTE_ADDR="110.75.1.1")
    with freeze_time("2026-11-02 09:00:00"):
        for _ in range(25):
            post_forged(gateway, ip="110.75.1.1")
        replies = [notify(gateway, body_for(payment)) for _ in range(120)]
    assert all((r.status_code, r.content) == (200, b"OK") for r in replies)
    assert Payment.objects.get().status == "succeeded" and Enrollment.objects.count() == 1
    assert PaymentNotification.objects.filter(outcome__in=["accepted", "duplicate"]).count() == 120


def test_refusals_of_other_kinds_are_not_logged_per_request(learner, order, caplog):
    start(learner, order)
    caplog.set_level(logging.INFO)
    anyone = Client()
    for _ in range(100):
        assert anyone.get(NOTIFY_URL).status_code == 405
        assert anyone.post("/payments/notify/nosuchbank/", data=b"x", content_type="text/plain").status_code == 404
    assert len(payment_lines(caplog)) <= 1


def test_throttled_logger_writes_one_line_a_minute_per_reason_with_a_count(caplog, local_cache):
    log = ThrottledLogger(logging.getLogger("jxjy.payments.test"), interval=60)
    caplog.set_level(logging.INFO)
    with freeze_time("2026-11-02 09:00:00") as clock:
        written = [log.warning("a", "refused %s", n) for n in range(100)]
        log.warning("b", "other reason")
        clock.tick(61)
        log.warning("a", "refused again")
    assert written.count(True) == 1
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["refused 0", "other reason", "refused again (99 similar lines left out since the last one)"]
