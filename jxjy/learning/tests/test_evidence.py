"""学时明细's evidence (issue 16): each playback session says why every second it did not credit was not credited —
scripted players through the real heartbeat endpoint, then the session row PostgreSQL holds after the flush."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jxjy.catalog.models import Question
from jxjy.learning import evidence, playstate
from jxjy.learning.models import PlaybackSession
from jxjy.lib.devices import describe

from .conftest import DURATION
from .test_heartbeat import START, Player, play_honestly

pytestmark = pytest.mark.django_db
LOSSES = [reason.column for reason in evidence.REASONS]


def keep_playing(player, start=0.0, until=60.0, step=15.0):
    """Beats every 15 s from `start` to `until`, still playing at the end."""
    position = start
    player.beat(position)
    while position < until:
        player.wait(step)
        position = min(until, position + step)
        player.beat(position)
    return position


def session_row(player) -> PlaybackSession:
    playstate.flush()
    return PlaybackSession.objects.get(pk=player.session)


def losses(row) -> dict:
    return {column: getattr(row, column) for column in LOSSES if getattr(row, column)}


def test_honest_viewing_loses_nothing_and_says_so(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player)
    row = session_row(player)
    assert row.credited == pytest.approx(DURATION)
    assert row.played == pytest.approx(DURATION)
    assert losses(row) == {}
    assert (row.beats_rate, row.beats_seek, row.beats_replayed, row.backfilled) == (0, 0, 0, 0)
    assert row.events == DURATION / 15 + 1


def test_a_pause_is_paused_time(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=60)
        player.beat(60, playing=False)  # ❚❚ 暂停 (or the page went to the background)
        player.wait(120)
        player.beat(60, playing=True)  # ▶ 继续播放
        play_honestly(player, start=60, until=120)
    row = session_row(player)
    assert losses(row) == {"lost_paused": pytest.approx(120)}
    assert row.credited == pytest.approx(120)


def test_a_faster_rate_counts_only_real_time(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        for position in range(30, 181, 30):  # 2×: 30 s of video every 15 s
            player.wait(15)
            player.beat(position)
    row = session_row(player)
    assert row.credited == pytest.approx(15)  # the first 15 s; after that the position is past what was watched
    assert set(losses(row)) == {"lost_rate"}
    assert row.lost_rate == pytest.approx(180 - 15)
    assert row.beats_rate == 6 and row.beats_seek == 0


def test_a_jump_forward_is_a_skipped_part(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        keep_playing(player, until=60)
        player.wait(3)
        player.beat(260)  # dragged far past what was watched
    row = session_row(player)
    assert row.credited == pytest.approx(63)
    assert losses(row) == {"lost_seek": pytest.approx(260 - 63)}
    assert row.beats_seek == 1 and row.beats_rate == 0


def test_a_network_outage_is_network_time_and_the_queued_beats_make_good_what_they_can(setup):
    """90 s without a connection while playing: the player queues six heartbeats and sends them when it is back.
    The clock budget (60 s) lets the late ones earn 60 s: 30 s are lost to the network, 45 s made good (已补传)."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        keep_playing(player, until=30)
        player.wait(90)
        for position in range(45, 121, 15):  # the queue, all at once
            player.beat(position)
    row = session_row(player)
    assert row.credited == pytest.approx(30 + 60)
    assert losses(row) == {"lost_network": pytest.approx(30)}
    assert row.backfilled == pytest.approx(45)
    assert row.beats_seek == row.beats_rate == 0


def test_time_at_an_unanswered_question_is_question_time(setup, settings):
    settings.CHECKPOINTS_PER_COURSEWARE = (1, 1)
    Question.objects.create(course=setup["course"], text="题", options=["对", "错"], answer="A")
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        gate = player.open()["pending"]["position"]
        keep_playing(player, until=gate - gate % 15)
        player.wait(gate % 15)
        reply = player.beat(gate, playing=False).json()  # the player stops at the question
        player.wait(200)  # thinking
        url = reverse("learning:checkpoint_answer", args=[reply["pending"]["id"]])
        assert player.client.post(url, {"answer": "A"}).json()["correct"]
        player.wait(5)  # reads the reply, then presses ▶
        player.beat(gate, playing=True)
        player.wait(15)
        player.beat(gate + 15)
    row = session_row(player)
    assert losses(row) == {"lost_question": pytest.approx(200), "lost_paused": pytest.approx(5)}
    assert row.credited == pytest.approx(gate + 15)


def test_another_page_taking_over_is_other_page_time(setup):
    with freeze_time(START) as clock:
        first = Player(setup, clock)
        first.open()
        keep_playing(first, until=60)
        player_two = Player(setup, clock, client=Client())
        player_two.open()  # the phone starts playing: the computer's page stops counting
        clock.tick(10)
        assert first.beat(70).status_code == 409
        clock.tick(15)
        assert first.beat(85).status_code == 409  # recorded once
    row = PlaybackSession.objects.get(pk=first.session)
    assert losses(row) == {"lost_other_page": pytest.approx(10)}


def test_replayed_heartbeats_are_counted(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=30)
        for _ in range(3):
            assert player.beat(30, seq=1).json()["accepted"] is False
    row = session_row(player)
    assert row.beats_replayed == 3
    assert row.credited == pytest.approx(30)


def test_the_device_and_address_are_kept_with_the_session(setup):
    client = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14; V2307A) Mobile Safari MicroMessenger/8.0",
        REMOTE_ADDR="10.1.2.3",
    )
    client.force_login(setup["user"])
    url = reverse("learning:playback_start", args=[setup["enrollment"].pk, setup["courseware"].pk])
    first = client.post(url)
    second = client.post(url)
    rows = PlaybackSession.objects.order_by("started_at")
    assert [(r.device_label, r.ip) for r in rows] == [("安卓手机 · 微信", "10.1.2.3")] * 2
    assert rows[0].device and rows[0].device == rows[1].device  # the cookie set by the first start
    assert "jxjy_device" in first.cookies and "jxjy_device" not in second.cookies


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit Safari/604.1", "苹果手机 · Safari浏览器"),
        ("Mozilla/5.0 (Linux; Android 12; HarmonyOS) HuaweiBrowser/14 Mobile Safari", "安卓手机 · 华为浏览器"),
        ("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X)", "平板电脑"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36 Edg/120.0", "电脑 · Edge浏览器"),
        ("", "未知设备"),
    ],
)
def test_the_device_in_words(agent, words):
    assert describe(agent) == words


def test_evidence_is_kept_two_years(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        keep_playing(player, until=30)
        Player(setup, clock, client=Client()).open()  # the first is no longer current
    old, current = PlaybackSession.objects.order_by("started_at")
    assert evidence.prune(now=old.last_beat_at + timedelta(days=729)) == 0
    assert evidence.prune(now=timezone.now() + timedelta(days=731)) == 1
    assert list(PlaybackSession.objects.all()) == [current]  # the current playback stays whatever its age
