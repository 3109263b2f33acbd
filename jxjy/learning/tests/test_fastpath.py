"""The heartbeat's fast path (issue 17): an ordinary beat reads no User row, and every unusual one gets exactly the
answer the whole stack gives — each case checked with the fast path on and off."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from jxjy.accounts import authcard
from jxjy.accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from jxjy.audit.models import AuditRecord, Event
from jxjy.learning.fastpath import HeartbeatFastPath

from .test_heartbeat import START, Player

pytestmark = pytest.mark.django_db
FAST = f"{HeartbeatFastPath.__module__}.{HeartbeatFastPath.__qualname__}"
USER_TABLE = '"accounts_user"'


def settings_redis_url() -> str:
    from django.conf import settings

    return settings.REDIS_URL


def user_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if USER_TABLE in q["sql"]]


def warmed(setup, clock, client=None) -> Player:
    """A player whose learner has had one beat through the whole stack (which wrote the auth card) and a first credit
    (which marks the class 学习中, a write of its own, once)."""
    player = Player(setup, clock, client)
    player.open()
    player.beat(0)
    player.wait(15)
    assert player.beat(15).json()["credited"] == pytest.approx(15)
    assert authcard.read(setup["user"].pk) == setup["user"].get_session_auth_hash()
    return player


def beat_on(player, headers=None):
    """The next honest beat (15 s later, 15 s further), with the queries it made."""
    player.wait(15)
    player.seq += 1
    payload = {"session": player.session, "seq": player.seq, "position": (player.seq - 1) * 15, "playing": "1"}
    with CaptureQueriesContext(connection) as queries:
        response = player.client.post(reverse("learning:heartbeat"), payload, headers=headers or {})
    return response, queries


def test_an_ordinary_beat_reads_no_user_row_and_is_credited(setup, settings):
    with freeze_time(START) as clock:
        player = warmed(setup, clock)
        for _ in range(4):
            response, queries = beat_on(player)
            assert response.status_code == 200 and response.json()["credited"] == pytest.approx(15)
            assert user_queries(queries) == []
            if settings.REDIS_URL:  # sessions in Redis too: no SQL at all
                assert queries.captured_queries == []
            assert response["Cache-Control"] == "no-store, private"
            assert response["X-Frame-Options"] == "DENY"
            assert "Content-Security-Policy" in response


def test_without_the_fast_path_the_same_beat_reads_the_user(setup, settings):
    """The twin of the test above: the query it counts is the one the fast path saves."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != FAST]
    with freeze_time(START) as clock:
        player = warmed(setup, clock)
        response, queries = beat_on(player)
        assert response.json()["credited"] == pytest.approx(15)
        assert len(user_queries(queries)) == 1


def test_the_last_seen_stamp_is_still_saved_once_a_minute(setup):
    with freeze_time(START) as clock:
        player = warmed(setup, clock)
        for _ in range(5):  # 75 s of beats: the stamp moved at least once, by the fast path
            response, queries = beat_on(player)
            assert response.status_code == 200 and user_queries(queries) == []
        assert player.client.session[LAST_SEEN] >= time.time() - 60


def test_no_card_for_staff_or_a_learner_without_a_verified_mobile(setup, province_admin, alice):
    authcard.remember(province_admin)
    assert authcard.read(province_admin.pk) is None
    alice.mobile_verified_at = None
    authcard.remember(alice)
    assert authcard.read(alice.pk) is None


def test_a_card_cannot_be_written_from_a_user_loaded_before_a_change(setup):
    """A request that loaded the User just before a password change must not leave a card with the old hash."""
    user = setup["user"]
    stale = type(user).objects.get(pk=user.pk)
    user.set_password("一个新的密码Abc123")
    user.save()
    authcard.remember(stale)  # the slow request writes after the change
    assert authcard.read(user.pk) == authcard.TOMBSTONE
    assert not authcard.matches(authcard.read(user.pk), stale.get_session_auth_hash())


def change_password(setup, player):
    user = type(setup["user"]).objects.get(pk=setup["user"].pk)
    user.set_password("一个新的密码Abc123")
    user.save()


def end_sessions(setup, player):
    type(setup["user"]).objects.get(pk=setup["user"].pk).end_sessions()


def deactivate(setup, player):
    user = type(setup["user"]).objects.get(pk=setup["user"].pk)
    user.is_active = False
    user.save(update_fields=["is_active"])


def clear_mobile(setup, player):
    user = type(setup["user"]).objects.get(pk=setup["user"].pk)
    user.mobile_verified_at = None
    user.save()


def age_session(**ago):
    def change(setup, player):
        session = player.client.session
        for key, seconds in ago.items():
            session[key] = time.time() - seconds
        session.save()

    return change


def drop_stamp(setup, player):
    session = player.client.session
    del session[SIGNED_IN_AT]
    session.save()


def sign_out(setup, player):
    player.client.post(reverse("accounts:logout"))


SIGNED_OUT = (401, {"error": "登录已过期，请重新登录。"})
CASES = {  # what happened → what the next beat gets from the whole stack (the player asks for JSON)
    "password changed elsewhere": (change_password, SIGNED_OUT),
    "强制下线": (end_sessions, SIGNED_OUT),
    "account no longer allowed to sign in": (deactivate, SIGNED_OUT),
    "verified mobile cleared": (clear_mobile, (302, "/account/mobile/")),
    "idle past 30 minutes": (age_session(**{LAST_SEEN: 31 * 60}), SIGNED_OUT),
    "signed in more than 12 hours ago": (age_session(**{SIGNED_IN_AT: 12 * 3600 + 5}), SIGNED_OUT),
    "signed out": (sign_out, SIGNED_OUT),
    "session without its sign-in stamp": (drop_stamp, (200, "credited")),  # stamped now, as the middleware does
}


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "whole stack"])
@pytest.mark.parametrize("case", CASES)
def test_an_unusual_beat_gets_the_whole_stacks_answer(setup, case, fast, settings):
    """Each case with the fast path on and off: the same answer (a beat that was being served by the fast path)."""
    if not fast:
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != FAST]
    change, (status, body) = CASES[case]
    with freeze_time(START) as clock:
        player = warmed(setup, clock)
        response, queries = beat_on(player)
        assert response.status_code == 200 and (user_queries(queries) == []) is fast
        change(setup, player)
        response, _ = beat_on(player, headers={"Accept": "application/json"})
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == body
    elif status == 200:
        assert response.json()["credited"] == pytest.approx(15)
    else:
        assert response.json() == body


def test_an_idle_session_is_still_audited_as_expired(setup):
    """The idle case goes through SessionTimeoutMiddleware, which records it (the fast path never answers it)."""
    with freeze_time(START) as clock:
        player = warmed(setup, clock)
        age_session(**{LAST_SEEN: 31 * 60})(setup, player)
        response, _ = beat_on(player, headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert AuditRecord.objects.filter(event=Event.SESSION_EXPIRED, actor=setup["user"]).exists()


@pytest.mark.parametrize("fast", [True, False])
def test_csrf_and_origin_are_checked_as_before(setup, fast, settings):
    if not fast:
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != FAST]
    with freeze_time(START) as clock:
        player = warmed(setup, clock)
        strict = Client(enforce_csrf_checks=True)
        strict.cookies = player.client.cookies
        strict.get(reverse("learning:center"))  # a page gives the token
        token = strict.cookies[settings.CSRF_COOKIE_NAME].value
        url = reverse("learning:heartbeat")
        for seq, headers, token_sent, status in (
            (2, {}, None, 403),  # no token in the body
            (3, {"Origin": "https://evil.example"}, token, 403),  # another site's page
            (4, {}, token, 200),
        ):
            clock.tick(timedelta(seconds=15))
            payload = {"session": player.session, "seq": seq + 1, "position": seq * 15, "playing": "1"}
            if token_sent:
                payload["csrfmiddlewaretoken"] = token_sent
            response = strict.post(url, payload, headers=headers)
            assert response.status_code == status
    assert response.json()["accepted"] is True


def test_another_learners_playback_gets_the_same_404(setup, second):
    with freeze_time(START) as clock:
        alice = warmed(setup, clock)
        bob = warmed(second, clock)
        bob.session = alice.session
        response, queries = beat_on(bob)
    assert response.status_code == 404 and user_queries(queries) == []


def test_a_query_string_takes_the_whole_stack(setup):
    with freeze_time(START) as clock:
        player = warmed(setup, clock)
        player.wait(15)
        payload = {"session": player.session, "seq": 3, "position": 30, "playing": "1"}
        with CaptureQueriesContext(connection) as queries:
            response = player.client.post(reverse("learning:heartbeat") + "?x=1", payload)
    assert response.status_code == 200 and len(user_queries(queries)) == 1


@pytest.mark.skipif(not settings_redis_url(), reason="the round trips are Redis's (PostgreSQL + Redis run)")
def test_an_ordinary_beat_makes_two_redis_round_trips(setup, monkeypatch):
    """One script reads the session, the hint, the card and the playback state; the compare-and-set writes."""
    import redis.connection

    sent = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return original(self, command, *args, **kwargs)

    with freeze_time(START) as clock:
        player = warmed(setup, clock)
        beat_on(player)  # the scripts are loaded
        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
        response, queries = beat_on(player)
    assert response.status_code == 200 and response.json()["credited"] == pytest.approx(15)
    assert len(sent) == 2 and queries.captured_queries == []
