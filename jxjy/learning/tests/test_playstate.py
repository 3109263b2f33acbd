"""The playback state between heartbeats: in Redis (or the in-process store), written to PostgreSQL in
batches and at the moments that matter, never backwards, rebuilt from PostgreSQL when lost."""

import copy

import pytest
from django.core.management import call_command
from django.urls import reverse
from freezegun import freeze_time

from jxjy.learning import playstate
from jxjy.learning.models import CoursewareProgress, PlaybackSession
from jxjy.learning.tasks import flush_playback_state

from .test_heartbeat import DURATION, START, Player, play_honestly

pytestmark = pytest.mark.django_db


def stored(setup):
    return CoursewareProgress.objects.get(enrollment=setup["enrollment"], courseware=setup["courseware"])


def test_heartbeats_stay_out_of_the_database_until_the_flush(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        for position in (15, 30, 45, 60):
            player.wait(15)
            player.beat(position)
    assert stored(setup).watched == 15  # the class's first credit (学习中) was written at once; not since
    assert flush_playback_state.apply().get() == 1
    row = stored(setup)
    assert row.watched == pytest.approx(60) and row.version == 5
    session = PlaybackSession.objects.get(pk=player.session)
    assert (session.last_seq, session.last_position, session.playing) == (5, 60, True)
    assert flush_playback_state.apply().get() == 0  # nothing changed since


def test_a_pause_writes_at_once(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=45)
        player.beat(45, playing=False)
    assert stored(setup).watched == pytest.approx(45)


def test_class_pages_show_the_latest_heartbeats(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=150)
        response = player.client.get(reverse("learning:class_home", args=[setup["enrollment"].pk]))
    assert response.status_code == 200
    assert stored(setup).watched == pytest.approx(150)  # written by the page, before it read


def test_writes_never_go_backwards(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=30)
        _, older = playstate.store().get(setup["user"].pk)
        older = copy.deepcopy(older)
        play_honestly(player, start=30, until=90)
    playstate.flush()
    playstate.persist([older])  # a slow worker's stale batch lands last
    row = stored(setup)
    assert row.watched == pytest.approx(90)
    assert PlaybackSession.objects.get(pk=player.session).last_position == 90


def test_losing_redis_loses_no_honest_time(setup):
    """Redis restarts between heartbeats (the state is gone); the flush ran after the previous beat."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        position = 0.0
        player.beat(position)
        while position < DURATION:
            player.wait(15)
            position = min(DURATION, position + 15)
            player.beat(position, playing=position < DURATION)
            if position == 150:
                playstate.store().clear()  # the crash: this beat was never written
            else:
                playstate.flush()
    row = stored(setup)
    assert row.watched == pytest.approx(DURATION)
    assert row.finished_at is not None


def test_a_superseded_session_stays_refused_after_redis_is_lost(setup):
    with freeze_time(START) as clock:
        first, second = Player(setup, clock), Player(setup, clock)
        first.open()
        second.open()
        playstate.store().clear()
        assert first.beat(0).status_code == 409
        assert second.beat(0).status_code == 200
        player = Player(setup, clock)
        player.session = "0b0c5b8e-0000-4000-8000-000000000000"
        assert player.beat(0).status_code == 404


def test_a_new_playback_writes_the_old_one_first(setup):
    with freeze_time(START) as clock:
        phone = Player(setup, clock)
        phone.open()
        play_honestly(phone, until=60)
        pc = Player(setup, clock)
        assert pc.open()["furthest"] == pytest.approx(60)
    assert stored(setup).watched == pytest.approx(60)


def test_production_needs_redis_for_shared_state(settings):
    from django.core.management.base import SystemCheckError

    settings.DEBUG = False
    settings.REDIS_URL = None
    with pytest.raises(SystemCheckError, match="jxjy.E002"):
        call_command("check", "--deploy", "--fail-level", "ERROR")
