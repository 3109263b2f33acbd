"""A refunded class streams nothing and earns nothing (issue 12, item 11): not its video, not a new playback, and
not a playback opened before the refund whose player keeps sending heartbeats."""

import threading
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from jxjy.credits.models import CreditEntry
from jxjy.learning.models import CoursewareProgress, Enrollment, EnrollmentStatus
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

from .test_heartbeat import START, Player, play_honestly, progress

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def refund(setup):
    orders.transition(setup["enrollment"].order_line.order, OrderStatus.REFUNDED, reason="学员申请")


def test_a_refunded_class_video_is_a_404(setup):
    courseware = setup["courseware"]
    courseware.video.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + bytes(256)), save=True)
    client = Client()
    client.force_login(setup["user"])
    url = reverse("learning:video", args=[setup["enrollment"].pk, courseware.pk])
    assert client.get(url).status_code == 200
    refund(setup)
    assert client.get(url).status_code == 404


def test_a_refunded_class_cannot_start_playing(setup):
    refund(setup)
    client = Client()
    client.force_login(setup["user"])
    url = reverse("learning:playback_start", args=[setup["enrollment"].pk, setup["courseware"].pk])
    assert client.post(url).status_code == 404


def test_a_playback_opened_before_the_refund_earns_nothing_after_it(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        refund(setup)
        first = player.beat(0.0)
        player.wait(15)
        refused = player.beat(15.0)
        assert refused.status_code == 410 and "已退款" in refused.json()["error"]
        play_honestly(player, start=15.0)
    assert progress(setup).watched == 0 and progress(setup).finished_at is None
    assert not CreditEntry.objects.exists()
    assert first.status_code == 200 and Enrollment.objects.get().status == EnrollmentStatus.REFUNDED


def test_a_class_first_studied_after_redis_lost_the_state_still_becomes_unrefundable(setup):
    """The state rebuilt from PostgreSQL knows the class has not been studied yet, so its first credit still moves
    it to 学习中 — and a refund after that is refused, as for any class being studied."""
    from jxjy.learning import playstate

    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0.0)
        playstate.flush()  # the beat task ran
        playstate.store().clear()  # then Redis lost everything
        player.wait(15)
        assert player.beat(15.0).json()["credited"] > 0
    assert Enrollment.objects.get().status == EnrollmentStatus.LEARNING


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_the_first_heartbeat_during_a_refund_waits_for_it_and_earns_nothing(setup, finance_user, settings):
    """The refund holds the class's row while the (slow) gateway answers; the learner's first credited heartbeat
    arrives meanwhile: it waits, then finds the class refunded. Never a refund of a class being studied."""
    from jxjy.payments import services as payments
    from jxjy.payments.models import MockBankTrade, Payment
    from jxjy.payments.tests.helpers import COUNTING_PROVIDERS, CountingMockBank

    settings.PAYMENT_PROVIDERS = COUNTING_PROVIDERS
    CountingMockBank.reset(delay=1.0)
    order = setup["enrollment"].order_line.order
    payment = Payment.objects.create(order=order, provider="mockbank", amount=order.amount, status="succeeded")
    MockBankTrade.objects.create(out_trade_no=payment.number, trade_no="MB1", amount=order.amount, subject="x",
                                 order_number=order.number, status="SUCCESS", notify_url="http://x/",
                                 return_url="http://x/")  # fmt: skip
    player = Player(setup, clock=None)
    player.open()
    player.beat(0.0)
    began_playing = time.time()
    results = {}

    def refund_it():
        try:
            results["refund"] = payments.refund_payment(payment=payment, actor=finance_user, reason="学员申请").status
        finally:
            connections.close_all()

    thread = threading.Thread(target=refund_it)
    thread.start()
    time.sleep(0.5)  # the refund now holds the rows and waits for the bank
    sent = time.monotonic()
    beat = player.beat(time.time() - began_playing - 0.1)  # honest: no further than the clock went
    waited = time.monotonic() - sent
    thread.join(10)
    assert results["refund"] == "succeeded" and len(CountingMockBank.calls["refund"]) == 1
    assert beat.status_code == 410 and waited > 0.2
    assert Enrollment.objects.get().status == EnrollmentStatus.REFUNDED
    assert CoursewareProgress.objects.get().watched == 0 and not CreditEntry.objects.exists()
