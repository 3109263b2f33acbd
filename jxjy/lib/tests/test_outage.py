"""Outages answered calmly (issue 13, item 4): while PostgreSQL or Redis is down, every page is a 503 with
Retry-After — the plain 请稍后再试 page for people, JSON with `retry` for the page scripts — never a 500, with one
log line per cause a minute instead of a traceback per request; the error pages render with everything down.

Outages are made with the real exception classes: the database's through Django's own error wrapping of the
driver's OperationalError (psycopg's or sqlite3's), Redis's by pointing the cache, the sessions or the playback
store at a port nobody listens on (redis-py's ConnectionError, "Connection refused"). On PostgreSQL two more tests
stop the real thing: a refused connection at connect time and a connection the server terminates."""

import contextlib
import logging
import socket
import uuid

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from conftest import staff_client
from jxjy.exams.models import ExamAnswer
from jxjy.exams.tests.conftest import enroll
from jxjy.exams.tests.test_exam import enter
from jxjy.learning import playstate
from jxjy.lib import outage
from jxjy.lib.throttled_logging import ThrottledLogger
from jxjy.orders.context_processors import pre_enrollment
from jxjy.portal.context_processors import site

pytestmark = pytest.mark.django_db

REFUSED = 'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused'
JSON = {"Accept": "application/json"}
# The statements an atomic block needs to undo itself once a query failed: let through, as a real server that went
# away would leave nothing to undo either.
_SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture(autouse=True)
def _fresh_throttle(monkeypatch):
    """Each test starts with no outage line written yet (the in-process counters outlive a test)."""
    monkeypatch.setattr(outage, "outage_log", ThrottledLogger(outage.logger, interval=60))


@contextlib.contextmanager
def database_down(only=None):
    """Every query (or every query naming `only`) fails as a refused connection does: the driver's
    OperationalError, through Django's wrapping."""

    def refuse(execute, sql, params, many, context):
        if sql.startswith(_SAVEPOINTS) or (only and only not in sql):
            return execute(sql, params, many, context)
        with connection.wrap_database_errors:
            raise connection.Database.OperationalError(REFUSED)

    with connection.execute_wrapper(refuse):
        yield


def dead_redis_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/5"  # closed again: connecting is refused


def redis_cache(url):
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "outage-tests"}}


def strict_client():
    """A client that shows the answer an outage met in a middleware gets (Django then calls handler500) rather
    than raising it into the test."""
    return Client(raise_request_exception=False)


def assert_calm_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    html = response.content.decode()
    assert "系统繁忙，请稍后再试" in html
    assert response["X-Request-ID"] in html
    for leak in ("Traceback", "OperationalError", "ConnectionError", "5432", "django"):
        assert leak not in html, leak
    assert 'href="/static/css/site.css"' in html  # the site's look


def assert_calm_json(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "系统繁忙，请稍后再试。", "retry": True}


def assert_one_line(caplog, cause="database"):
    """One line for the whole outage, naming its cause; no traceback, and nothing from Django's request logger."""
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]
    assert not [r for r in caplog.records if r.name == "django.request"]
    lines = [r.getMessage() for r in caplog.records if r.name == "jxjy.outage"]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{outage._LABELS[cause]} unavailable")


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.INFO)
    return caplog


# --- The database down --------------------------------------------------------------------------------------


def test_a_learner_page_is_the_calm_503_while_the_database_is_down(alice, logged):
    client = strict_client()
    client.force_login(alice)
    with database_down():
        responses = [client.get(reverse("learning:center")) for _ in range(3)]
    for response in responses:
        assert_calm_page(response)
    assert_one_line(logged)
    assert client.get(reverse("learning:center")).status_code == 200  # back: still signed in


def test_an_anonymous_page_is_the_calm_503_while_the_database_is_down(db, logged):
    # The home page's notices are read in the view: the middleware's process_exception answers, and Django never
    # reports an exception (the default client would raise it here).
    with database_down():
        response = Client().get("/")
    assert_calm_page(response)
    assert_one_line(logged)


def test_a_staff_page_is_the_calm_503_while_the_database_is_down(province_admin, logged):
    client = staff_client(province_admin)
    client.raise_request_exception = False
    with database_down():
        response = client.get(reverse("office:home"))
    assert_calm_page(response)
    assert response["Cache-Control"] == "no-store"
    assert_one_line(logged)


def test_the_heartbeat_gets_json_503_while_the_database_is_down(alice, logged):
    client = strict_client()
    client.force_login(alice)
    beat = {"session": str(uuid.uuid4()), "seq": "1", "position": "1.0", "playing": "1"}
    with database_down():
        fetched = client.post(reverse("learning:heartbeat"), beat, headers=JSON)
        beacon = client.post(reverse("learning:heartbeat"), beat, headers={"Accept": "*/*"})  # sendBeacon's
    assert_calm_json(fetched)
    assert_calm_json(beacon)
    assert_one_line(logged)


def test_the_exam_autosave_gets_json_503_when_the_database_fails_mid_request_then_saves(alice, catalog, logged):
    """The session and the user load; the paper's own query fails: the view's exception becomes the JSON 503, and
    the page's retry afterwards is saved."""
    client = Client()
    client.force_login(alice)
    attempt = enter(client, enroll(alice, catalog[(2026, "L4")]))
    url = reverse("exams:answer", args=[attempt.enrollment_id, attempt.pk])
    question = attempt.paper[0]["q"]
    with database_down(only="exams_"):
        response = client.post(url, {"question": question, "answer": ["A"]}, headers=JSON)
    assert_calm_json(response)
    assert_one_line(logged)
    assert not ExamAnswer.objects.filter(attempt=attempt).exists()
    retried = client.post(url, {"question": question, "answer": ["A"]}, headers=JSON)
    assert retried.status_code == 200 and retried.json() == {"saved": True}
    assert ExamAnswer.objects.filter(attempt=attempt, question_id=question).count() == 1


def test_a_form_post_gets_the_page_not_json(alice, logged):
    """A browser's own form post asks for HTML: it gets the page (the JSON goes only to scripts)."""
    client = strict_client()
    client.force_login(alice)
    with database_down():
        response = client.post(reverse("portal:a11y"), {"next": "/"}, headers={"Accept": "text/html,*/*;q=0.8"})
    assert_calm_page(response)


def test_other_errors_stay_500(db, logged, monkeypatch):
    """Only outages are 503: a bug is still the 500 page, logged with its traceback."""
    monkeypatch.setattr("jxjy.portal.views.Notice.objects.published", lambda: 1 / 0)
    response = strict_client().get("/")
    assert response.status_code == 500 and "Retry-After" not in response
    assert "系统繁忙" in response.content.decode()
    assert [r for r in logged.records if r.name == "django.request" and r.exc_info]


# --- Redis down ---------------------------------------------------------------------------------------------


@pytest.fixture
def cache_sessions(settings):
    """Sessions in the cache (production's setting with REDIS_URL), the cache a named local one."""
    settings.SESSION_ENGINE = "jxjy.lib.cache_sessions"
    settings.CACHES = LOCAL
    return settings


def test_a_redis_outage_through_the_session_is_503_and_signs_nobody_out(alice, cache_sessions, logged):
    client = strict_client()
    client.force_login(alice)
    cookie = client.cookies["sessionid"].value
    cache_sessions.CACHES = redis_cache(dead_redis_url())
    page = client.get(reverse("learning:center"))
    beat = {"session": str(uuid.uuid4()), "seq": "1", "position": "1.0", "playing": "1"}
    heartbeat = client.post(reverse("learning:heartbeat"), beat, headers=JSON)
    assert_calm_page(page)
    assert_calm_json(heartbeat)  # not 401 登录已过期: the player keeps its queue
    assert_one_line(logged, "redis")
    assert not page.cookies.get("sessionid") or page.cookies["sessionid"].value == cookie  # cookie not deleted
    cache_sessions.CACHES = LOCAL  # Redis is back, with the session in it
    assert client.get(reverse("learning:center")).status_code == 200


def test_django_cache_sessions_would_sign_everyone_out(alice, cache_sessions):
    """Why jxjy.lib.cache_sessions exists: Django's own cache sessions read an unreachable Redis as "no session"."""
    cache_sessions.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client = strict_client()
    client.force_login(alice)
    cache_sessions.CACHES = redis_cache(dead_redis_url())
    response = client.get(reverse("learning:center"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_heartbeat_gets_json_503_when_redis_fails_mid_request(alice, logged, monkeypatch):
    """The playback state's Redis is down (the session is fine): the heartbeat's own Redis call fails in the view."""
    monkeypatch.setattr(playstate, "_store", playstate.RedisStore(dead_redis_url(), "hb:"))
    client = Client()
    client.force_login(alice)
    beat = {"session": str(uuid.uuid4()), "seq": "1", "position": "1.0", "playing": "1"}
    assert_calm_json(client.post(reverse("learning:heartbeat"), beat, headers=JSON))
    assert_one_line(logged, "redis")


# --- The log: one line per cause a minute, with a count ------------------------------------------------------


def test_a_repeated_outage_is_logged_once_a_minute_with_the_count_left_out(alice, logged, settings):
    settings.CACHES = LOCAL  # the shared counters' expiry on the frozen clock (Redis's own would not move)
    client = strict_client()
    client.force_login(alice)
    with freeze_time("2026-11-02 09:00:00") as clock, database_down():
        for _ in range(30):
            assert client.get(reverse("learning:center")).status_code == 503
        clock.tick(61)
        assert client.get(reverse("learning:center")).status_code == 503
    lines = [r.getMessage() for r in logged.records if r.name == "jxjy.outage"]
    assert len(lines) == 2
    assert "OperationalError" in lines[0] and "Connection refused" in lines[0]
    assert lines[1].endswith("(29 similar lines left out since the last one)")
    assert "Traceback" not in logged.text


def test_the_throttled_logger_counts_in_process_while_redis_is_down(settings, caplog):
    settings.CACHES = redis_cache(dead_redis_url())
    log = ThrottledLogger(logging.getLogger("jxjy.test.throttle"), interval=60)
    caplog.set_level(logging.INFO)
    with freeze_time("2026-11-02 09:00:00") as clock:
        written = [log.error("redis", "Redis unavailable %d", n) for n in range(50)]  # never raises
        clock.tick(61)
        log.error("redis", "Redis unavailable again")
    assert written.count(True) == 1
    assert [r.getMessage() for r in caplog.records] == [
        "Redis unavailable 0",
        "Redis unavailable again (49 similar lines left out since the last one)",
    ]


# --- Error pages with everything down ------------------------------------------------------------------------


@pytest.mark.urls("jxjy.lib.tests.outage_urls")
def test_the_error_pages_render_with_the_database_and_redis_down(alice, cache_sessions, logged):
    """400, 403, 404 and 500 for an anonymous visitor and the 503 for a signed-in learner, with every query and
    every cache call failing: each is its page, with the request id, in the site's look."""
    signed_in = strict_client()
    signed_in.force_login(alice)
    cache_sessions.CACHES = redis_cache(dead_redis_url())
    anyone = strict_client()
    anyone.cookies["jxjy_a11y"] = "1"
    with database_down():
        pages = {
            400: anyone.get("/test-errors/400/"),
            403: anyone.get("/test-errors/403/"),
            404: anyone.get("/no-such-page/"),
            500: anyone.get("/test-errors/500/"),
            503: signed_in.get(reverse("learning:center")),
        }
    titles = {400: "请求有误", 403: "无法访问", 404: "页面不存在", 500: "系统繁忙", 503: "系统繁忙，请稍后再试"}
    for status, response in pages.items():
        html = response.content.decode()
        assert response.status_code == status, (status, html[:300])
        assert f"<h1>{titles[status]}</h1>" in html
        assert response["X-Request-ID"] in html
        assert "Traceback" not in html
    assert 'class="a11y"' in pages[404].content.decode()  # 大字模式 kept, from its cookie alone


def test_the_context_processors_touch_neither_database_nor_redis_until_asked(alice, settings, rf):
    settings.CACHES = redis_cache(dead_redis_url())
    request = rf.get("/")
    request.user = alice
    with database_down():
        context = {**site(request), **pre_enrollment(request)}  # a query here would raise
        assert context["SITE_NAME"] and context["a11y_on"] is False
        with pytest.raises(OperationalError):
            bool(context["pre_enrollment_count"])  # only a page that shows the badge counts
    assert context["pre_enrollment_count"] == 0


def test_healthz_needs_neither_database_nor_redis(db, settings):
    settings.CACHES = redis_cache(dead_redis_url())
    with database_down():
        response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


# --- PostgreSQL really stopped -------------------------------------------------------------------------------

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL")


@postgres_only
@pytest.mark.django_db(transaction=True)  # one test for both (each transactional test costs a flush)
def test_postgresql_refusing_or_terminating_connections_is_503_and_the_next_request_works(alice, logged):
    """psycopg's own errors from a real server: "connection refused" at connect time (a port nobody listens on),
    and "terminating connection due to administrator command" (a fast shutdown, a restart) on the persistent
    connection mid-request. Each is the calm 503; the dead connection is dropped at the end of the request
    (CONN_HEALTH_CHECKS), so the request after the outage works without restarting the app."""
    client = strict_client()
    client.force_login(alice)
    center = reverse("learning:center")

    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = dead_redis_url().rsplit(":", 1)[1].split("/")[0]
    try:
        refused = client.get(center)
    finally:
        connection.settings_dict["PORT"] = real_port
    assert_calm_page(refused)
    assert_one_line(logged)
    assert "Connection refused" in [r.getMessage() for r in logged.records if r.name == "jxjy.outage"][0]
    close_old_connections()  # what the end of every request does in a server
    assert client.get(center).status_code == 200

    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    assert_calm_page(client.get(center))
    close_old_connections()  # the end of the request
    assert connection.connection is None  # dropped, not kept for the next request
    assert client.get(center).status_code == 200
    lines = [r.getMessage() for r in logged.records if r.name == "jxjy.outage"]
    assert len(lines) == 1  # the second outage within the minute: counted, not written
