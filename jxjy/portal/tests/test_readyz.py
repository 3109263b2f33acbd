"""/readyz for load balancers (issue 13, item 4): PostgreSQL, Redis and the Celery broker, each bounded to about a
second; 200 when all answer, 503 naming what is down; anonymous, and nothing but status words."""

import logging
import socket
import threading
import time

import pytest
import redis
from django.db import connections
from django.test import Client

from jxjy.portal import views

pytestmark = pytest.mark.django_db

WORDS = {"ok", "down", "timeout", "off"}


def dead_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/5"  # closed again: connecting is refused


@pytest.fixture
def live(settings):
    """Redis and a Redis broker configured, pointing at the local Redis (PING and a connection only: no data)."""
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis on this machine")
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    return settings


def ready(expected_status):
    response = Client().get("/readyz")
    assert response.status_code == expected_status, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"db", "redis", "broker"} and set(body.values()) <= WORDS  # status words, no host or error
    return body


def test_all_ok(live):
    assert ready(200) == {"db": "ok", "redis": "ok", "broker": "ok"}


def test_without_redis_or_broker_configured_they_are_off_and_it_is_ready(settings):
    settings.REDIS_URL = None
    settings.CELERY_BROKER_URL = "memory://"
    assert ready(200) == {"db": "ok", "redis": "off", "broker": "off"}


def test_database_down(live):
    """The check's own connection cannot be made (a port nobody listens on / a file that cannot be opened)."""
    database = connections.settings["default"]
    saved = dict(database)
    if database["ENGINE"].endswith("sqlite3"):
        database["NAME"] = "/nonexistent/directory/db.sqlite3"
    else:
        database["PORT"] = dead_url().rsplit(":", 1)[1].split("/")[0]
    try:
        body = ready(503)
    finally:
        database.update(saved)
    assert body == {"db": "down", "redis": "ok", "broker": "ok"}


def test_redis_down(live, caplog):
    live.REDIS_URL = dead_url()
    caplog.set_level(logging.INFO)
    for _ in range(5):  # a load balancer asking again and again
        assert ready(503) == {"db": "ok", "redis": "down", "broker": "ok"}
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) <= 1 and not [r for r in caplog.records if r.name == "django.request"]


def test_broker_down(live):
    live.CELERY_BROKER_URL = dead_url()
    body = ready(503)
    assert body == {"db": "ok", "redis": "ok", "broker": "down"}


def test_a_check_that_hangs_is_a_timeout_after_a_second_and_is_never_started_twice(live, monkeypatch):
    release = threading.Event()
    calls = []

    def hang():
        calls.append(1)
        release.wait(10)

    monkeypatch.setattr(views, "_check_broker", hang)
    Client().get("/healthz")  # the process's first request loads every URL and middleware: not the check's time
    try:
        started = time.monotonic()
        first = ready(503)
        second = ready(503)
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert first == second == {"db": "ok", "redis": "ok", "broker": "timeout"}
    assert len(calls) == 1  # the second request waited on the same check
    assert elapsed < 2 * views.READY_TIMEOUT + 0.8  # about a second each, all checks waited for together


def test_the_answer_names_no_host_even_when_down(live):
    live.REDIS_URL = dead_url()
    live.CELERY_BROKER_URL = live.REDIS_URL
    response = Client().get("/readyz")
    text = response.content.decode()
    assert response.status_code == 503
    assert "127.0.0.1" not in text and "refused" not in text.lower()


def test_healthz_stays_liveness_only(db, settings):
    """/healthz answers with Redis and the broker gone (it checks nothing but the process)."""
    settings.REDIS_URL = dead_url()
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
