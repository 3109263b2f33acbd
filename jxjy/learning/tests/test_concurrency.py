"""Heartbeat races with real parallel connections on PostgreSQL (skipped on SQLite)."""

import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.learning import playstate
from jxjy.learning.models import CoursewareProgress, PlaybackSession

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_concurrent_copies_of_one_heartbeat_credit_once(setup):
    user, enrollment, courseware = setup["user"], setup["enrollment"], setup["courseware"]
    start_url = reverse("learning:playback_start", args=[enrollment.pk, courseware.pk])
    session = client_for(user).post(start_url).json()["session"]
    # Pretend the player has been playing for 15 s (its state, as the first heartbeat left it).
    raw, state = playstate.store().get(user.pk)
    state.playing, state.seq, state.beat_at = True, 1, time.time() - 15
    assert playstate.store().cas(user.pk, raw, state)
    beat = {"session": session, "seq": 2, "position": 15, "playing": "1"}
    replies = run_parallel(
        [lambda: client_for(user).post(reverse("learning:heartbeat"), beat).json() for _ in range(8)]
    )
    assert sum(1 for r in replies if r["accepted"]) == 1
    playstate.flush()
    assert CoursewareProgress.objects.get().watched == pytest.approx(15, abs=0.5)


def test_two_devices_opening_at_once_leave_one_current_session(setup):
    user, enrollment, courseware = setup["user"], setup["enrollment"], setup["courseware"]
    url = reverse("learning:playback_start", args=[enrollment.pk, courseware.pk])
    statuses = run_parallel([lambda: client_for(user).post(url).status_code for _ in range(6)])
    assert PlaybackSession.objects.filter(user=user, is_current=True).count() == 1
    assert statuses == [200] * 6
