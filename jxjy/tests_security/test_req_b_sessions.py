"""Requirements 10–13 (B. Session management): fixation and cookie flags, idle and absolute timeouts, logout and
强制下线, CSRF on every state-changing URL."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from freezegun import freeze_time

from conftest import make_learner, staff_client
from jxjy.audit.models import AuditRecord, Event

from .helpers import every_url, learner_login, run_production_probe, signed_in

pytestmark = pytest.mark.django_db
CENTER = reverse("accounts:settings_password")  # a page for signed-in learners only


def session_exists(key) -> bool:
    return import_module(django_settings.SESSION_ENGINE).SessionStore().exists(key)


def anonymous_session(client) -> str:
    session = client.session
    session["probe"] = 1
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    return session.session_key


# --- 10. Fixation, cookie flags, never in a URL ------------------------------------------------------------------


def test_req_10_the_session_id_changes_at_sign_in(client, alice):
    before = anonymous_session(client)
    response = learner_login(client, alice.id_number)
    assert response.status_code == 302
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not session_exists(before)  # the pre-login id is worth nothing now
    assert session_exists(after)


def test_req_10_a_planted_session_id_is_not_adopted(alice):
    planted = "a" * 32  # an id the attacker chose and fixed in the victim's browser
    victim = Client()
    victim.cookies[django_settings.SESSION_COOKIE_NAME] = planted
    learner_login(victim, alice.id_number)
    assert signed_in(victim)
    assert victim.cookies[django_settings.SESSION_COOKIE_NAME].value != planted
    attacker = Client()
    attacker.cookies[django_settings.SESSION_COOKIE_NAME] = planted
    assert attacker.get(CENTER).status_code == 302


def test_req_10_staff_session_id_changes_at_sign_in(nanjing_reviewer):
    client = Client()
    before = anonymous_session(client)
    from .helpers import staff_login

    assert staff_login(client, "nanjing").status_code == 302
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != before
    assert not session_exists(before)


def test_req_10_production_cookie_is_secure_httponly_samesite_lax(client, alice, settings, tmp_path):
    production = run_production_probe(tmp_path)["settings"]
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production["CSRF_COOKIE_SECURE"] is True
    for name in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE"):
        setattr(settings, name, production[name])
    response = learner_login(client, alice.id_number)
    header = response.cookies[django_settings.SESSION_COOKIE_NAME].output()
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


def test_req_10_the_session_id_is_never_in_a_url(client, alice):
    first = learner_login(client, alice.id_number)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page = client.get(first.url)
    for response in (first, page):
        assert key not in response.get("Location", "")
        assert key not in response.content.decode()
    # nor is one taken from a URL
    stranger = Client()
    for name in (django_settings.SESSION_COOKIE_NAME, "sessionid", "session", "sid"):
        response = stranger.get(f"{CENTER}?{name}={key}")
        assert response.status_code == 302 and not signed_in(stranger)


# --- 11. Idle and absolute timeouts ------------------------------------------------------------------------------


def test_req_11_a_learner_idle_for_30_minutes_is_signed_out(client, alice):
    start = timezone.now()
    with freeze_time(start):
        learner_login(client, alice.id_number)
        assert client.get(CENTER).status_code == 200
    with freeze_time(start + timedelta(minutes=29, seconds=30)):
        assert client.get(CENTER).status_code == 200  # 29½ minutes idle: still in
    with freeze_time(start + timedelta(minutes=60, seconds=31)):  # 31 minutes after the last request
        response = client.get(CENTER)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
        assert not signed_in(client)


def test_req_11_staff_idle_for_15_minutes_are_signed_out(nanjing_reviewer):
    start = timezone.now()
    with freeze_time(start):
        client = staff_client(nanjing_reviewer)
        assert client.get("/office/").status_code == 200
    with freeze_time(start + timedelta(minutes=14, seconds=30)):
        assert client.get("/office/").status_code == 200
    with freeze_time(start + timedelta(minutes=30)):  # 15½ minutes after the last request
        response = client.get("/office/")
        assert response.status_code == 302 and response.url.startswith(reverse("office:login"))
        assert not signed_in(client)
    assert AuditRecord.objects.filter(event=Event.SESSION_EXPIRED, actor=nanjing_reviewer).exists()


@pytest.mark.parametrize("who", ["learner", "staff"])
def test_req_11_any_session_ends_after_12_hours_however_active(alice, nanjing_reviewer, who):
    start = timezone.now()
    with freeze_time(start):
        if who == "learner":
            client, page = Client(), CENTER
            learner_login(client, alice.id_number)
        else:
            client, page = staff_client(nanjing_reviewer), "/office/"
    for minutes in range(10, 12 * 60, 10):  # a request every 10 minutes, all day
        with freeze_time(start + timedelta(minutes=minutes)):
            assert client.get(page).status_code == 200, minutes
    with freeze_time(start + timedelta(hours=12, minutes=1)):
        assert client.get(page).status_code == 302
        assert not signed_in(client)


def test_req_11_production_cookie_and_timeouts(tmp_path):
    production = run_production_probe(tmp_path)["settings"]
    assert production["SESSION_COOKIE_AGE"] <= 12 * 3600  # Django's two weeks overridden
    assert production["SESSION_IDLE_TIMEOUT_LEARNER"] <= 30 * 60
    assert production["SESSION_IDLE_TIMEOUT_STAFF"] <= 15 * 60


# --- 12. Logout and 强制下线 -------------------------------------------------------------------------------------


def test_req_12_learner_logout_then_replaying_the_old_cookie_goes_to_sign_in(client, alice):
    learner_login(client, alice.id_number)
    old = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert session_exists(old)
    client.post(reverse("accounts:logout"))
    assert not session_exists(old)  # the server-side session is gone, not just the cookie
    if django_settings.SESSION_ENGINE.endswith(".db"):
        from django.contrib.sessions.models import Session

        assert not Session.objects.filter(session_key=old).exists()
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old
    response = replay.get(CENTER)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_req_12_staff_logout_then_replaying_the_old_cookie_goes_to_sign_in(nanjing_reviewer):
    client = staff_client(nanjing_reviewer)
    assert client.get("/office/").status_code == 200
    old = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    client.post(reverse("office:logout"))
    assert not session_exists(old)
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old
    response = replay.get("/office/")
    assert response.status_code == 302 and response.url.startswith(reverse("office:login"))


def test_req_12_ending_the_sessions_of_a_staff_member_works_at_once(province_admin, nanjing_reviewer):
    """工作人员账号 → 强制下线: both of the member's sessions are refused at their very next request."""
    phone, desk = staff_client(nanjing_reviewer), staff_client(nanjing_reviewer)
    for member in (phone, desk):
        assert member.get("/office/").status_code == 200
    admin = staff_client(province_admin)
    response = admin.post(reverse("office:end_sessions", args=[nanjing_reviewer.pk]))
    assert response.status_code == 302
    for member in (phone, desk):
        response = member.get("/office/")
        assert response.status_code == 302 and response.url.startswith(reverse("office:login"))
    assert admin.get("/office/").status_code == 200  # the admin's own session stays
    assert AuditRecord.objects.filter(
        event=Event.SESSIONS_END, actor=province_admin, object_id=str(nanjing_reviewer.pk)
    ).exists()


# --- 13. CSRF on every URL ---------------------------------------------------------------------------------------

# Server-to-server endpoints that cannot carry a CSRF token: each verifies the gateway's signature instead
# (requirements 35–40).
CSRF_EXEMPT = {"payments:notify"}
# /admin/login/ sends every request on before any view runs (StaffSecurityMiddleware): to the staff sign-in, or a
# signed-in staff account to the back office.
HANDED_OVER = {"admin:login": ("/office/login/", "/office/")}


def is_refused(name, response) -> bool:
    """Refused by the CSRF check itself (its own page), or, for the admin's sign-in, sent on without a view."""
    if name in HANDED_OVER:
        return response.status_code == 302 and response.url.split("?")[0] in HANDED_OVER[name]
    return response.status_code == 403 and "403_csrf.html" in [t.name for t in response.templates]


@pytest.fixture
def signed_in_clients(alice, province_admin):
    learner = Client(enforce_csrf_checks=True, raise_request_exception=False)
    learner.force_login(alice)
    staff = staff_client(province_admin)
    staff.handler.enforce_csrf_checks = True
    staff.raise_request_exception = False
    anonymous = Client(enforce_csrf_checks=True, raise_request_exception=False)
    return {"anonymous": anonymous, "learner": learner, "staff": staff}


def test_req_13_exempt_views_are_only_the_signed_gateway_notifications():
    exempt = {name for name, callback, _ in every_url() if getattr(callback, "csrf_exempt", False)}
    assert exempt == CSRF_EXEMPT


def test_req_13_every_url_refuses_a_post_without_csrf_token(signed_in_clients):
    urls = [(name, path) for name, callback, path in every_url() if not getattr(callback, "csrf_exempt", False)]
    assert len(urls) > 100
    accepted = []
    for who, client in signed_in_clients.items():
        for name, path in urls:
            response = client.post(path, {"action": "save", "name": "张三"})
            if not is_refused(name, response):
                accepted.append((who, name, path, response.status_code))
    assert accepted == []


def test_req_13_a_foreign_origin_is_refused_even_with_the_token(signed_in_clients):
    """A signed-in learner's browser posting from another site: the Origin check does not depend on who it is."""
    urls = [(name, path) for name, callback, path in every_url() if not getattr(callback, "csrf_exempt", False)]
    accepted = []
    for who in ("learner",):
        client = signed_in_clients[who]
        token = get_random_string(32)  # a valid secret, in the cookie and the form alike
        client.cookies[django_settings.CSRF_COOKIE_NAME] = token
        for name, path in urls:
            response = client.post(path, {"csrfmiddlewaretoken": token}, headers={"Origin": "https://evil.example"})
            if not is_refused(name, response):
                accepted.append((who, name, path, response.status_code))
    assert accepted == []


def test_req_13_the_same_post_with_token_and_own_origin_passes(alice):
    """The control: what the two tests above refuse is the missing token or the foreign origin, nothing else."""
    make_learner("赵六", "11010519491231002", "13500000000")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(reverse("accounts:settings_password"))
    token = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = client.post(
        reverse("accounts:logout"), {"csrfmiddlewaretoken": token}, headers={"Origin": "http://testserver"}
    )
    assert response.status_code == 302 and not signed_in(client)
