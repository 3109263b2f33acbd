from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import staff_client
from jxjy.accounts.views import LOCKED_MESSAGE
from jxjy.audit.models import AuditRecord, Event

from .helpers import CAPTCHA, login, valid_id

pytestmark = pytest.mark.django_db


def test_login_changes_the_session_id_and_lands_in_center(client, alice):
    client.get(reverse("accounts:login"))
    client.session["probe"] = 1  # make sure an anonymous session exists
    session = client.session
    session["probe"] = 1
    session.save()
    before = client.cookies["sessionid"].value
    response = login(client, alice.id_number)
    assert response.status_code == 302
    assert response.url == reverse("learning:center")
    assert client.cookies["sessionid"].value != before
    assert AuditRecord.objects.filter(event=Event.LOGIN, actor=alice).exists()


def test_session_cookie_flags(client, alice):
    login(client, alice.id_number)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_lowercase_x_id_logs_in(client):
    from conftest import make_learner

    user = make_learner("赵六", "11010519491231002", "13500000000")
    assert user.id_number.endswith("X")
    assert login(client, user.id_number.lower()).status_code == 302


def test_wrong_captcha_is_refused_and_not_counted(client, alice):
    for _ in range(6):
        response = login(client, alice.id_number, captcha={"captcha_0": "x", "captcha_1": "NOPE"})
        assert "图形验证码不对" in response.content.decode()
    assert login(client, alice.id_number).status_code == 302


def test_captcha_is_always_required(client, alice):
    response = client.post(reverse("accounts:login"), {"id_number": alice.id_number, "password": "Demo1234"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_account_for_thirty_minutes(client, alice):
    start = timezone.now()
    with freeze_time(start):
        for _ in range(5):
            login(client, alice.id_number, password="Wrong2026x")
    with freeze_time(start + timedelta(minutes=1)):
        locked = login(client, alice.id_number)  # the right password
        assert locked.status_code == 403
        assert LOCKED_MESSAGE in locked.content.decode()
        assert "_auth_user_id" not in client.session
    assert AuditRecord.objects.filter(event=Event.LOCKOUT).exists()
    with freeze_time(start + timedelta(minutes=29)):
        assert login(client, alice.id_number).status_code == 403
    with freeze_time(start + timedelta(minutes=31)):
        assert login(client, alice.id_number).status_code == 302


def test_four_failures_do_not_lock_and_success_resets(client, alice):
    for _ in range(4):
        login(client, alice.id_number, password="Wrong2026x")
    assert login(client, alice.id_number).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        login(client, alice.id_number, password="Wrong2026x")
    assert login(client, alice.id_number).status_code == 302


def test_failures_on_another_account_do_not_lock_this_one(client, alice, bob):
    for _ in range(6):
        login(client, bob.id_number, password="Wrong2026x")
    assert login(client, alice.id_number).status_code == 302


def test_axes_records_hold_no_personal_numbers(client, alice):
    from axes.models import AccessAttempt, AccessLog

    for _ in range(2):
        login(client, alice.id_number, password="Wrong2026x")
    assert AccessAttempt.objects.exists()
    login(client, alice.id_number)
    dumped = " ".join(str(vars(row)) for row in [*AccessAttempt.objects.all(), *AccessLog.objects.all()])
    assert AccessLog.objects.exists()
    assert alice.id_number not in dumped
    assert "Wrong2026x" not in dumped


def test_ip_throttle(client, alice, settings):
    settings.LOGIN_RATE_PER_IP_MINUTE = 3
    for _ in range(3):
        login(client, valid_id("32010219550505123"), password="Wrong2026x")
    assert login(client, alice.id_number).status_code == 429


def test_next_stays_on_site(client, alice):
    assert login(client, alice.id_number, next="https://evil.example/").url == reverse("learning:center")
    client.post(reverse("accounts:logout"))
    assert login(client, alice.id_number, next="/account/settings/").url == "/account/settings/"


def test_id_number_in_query_string_is_ignored(client, alice):
    response = client.get(reverse("accounts:login"), {"id_number": alice.id_number, "password": "Demo1234"})
    assert alice.id_number not in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_cannot_use_the_learner_login(client, nanjing_reviewer):
    response = client.post(reverse("accounts:login"), {"id_number": "nanjing", "password": "Demo1234", **CAPTCHA})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_logout_needs_post_and_ends_the_session(client, alice):
    login(client, alice.id_number)
    old_cookie = client.cookies["sessionid"].value
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.url == reverse("portal:home")
    assert AuditRecord.objects.filter(event=Event.LOGOUT, actor=alice).exists()
    client.cookies["sessionid"] = old_cookie  # replay the old cookie
    assert client.get(reverse("learning:center")).status_code == 302


def test_csrf_is_enforced(alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:login"), {"id_number": alice.id_number, "password": "Demo1234", **CAPTCHA})
    assert response.status_code == 403


def test_admin_unlocks_a_locked_account_and_it_is_audited(client, alice, province_admin):
    for _ in range(5):
        login(client, alice.id_number, password="Wrong2026x")
    assert login(client, alice.id_number).status_code == 403
    admin_client = staff_client(province_admin)
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "unlock", "_selected_action": [alice.pk]}, follow=True
    )
    assert "已解除 1 个账号的登录锁定" in response.content.decode()
    assert AuditRecord.objects.filter(event=Event.UNLOCK, object_id=str(alice.pk)).exists()
    assert login(client, alice.id_number).status_code == 302


def test_admin_shows_numbers_masked(alice, bob, province_admin):
    client = staff_client(province_admin)
    html = client.get("/admin/accounts/user/").content.decode()
    html += client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert alice.id_number_masked in html and bob.id_number_masked in html
    for number in (alice.id_number, alice.mobile, bob.id_number, bob.mobile):
        assert number not in html
