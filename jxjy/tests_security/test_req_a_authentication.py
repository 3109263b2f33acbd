"""Requirements 1–3 (A. Authentication, lockout): password rules, account lockout, captcha and the per-IP throttle."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

import jxjy.settings as project_settings
from conftest import PASSWORD, staff_client
from jxjy.accounts.models import User
from jxjy.accounts.tests.helpers import CAPTCHA, register, valid_id
from jxjy.accounts.views import LOCKED_MESSAGE, LOGIN_FAILED_MESSAGE
from jxjy.audit.models import AuditRecord, Event

from .helpers import OFFICE_LOGIN, learner_login, signed_in, staff_login

pytestmark = pytest.mark.django_db
WRONG = "Wrong2026x"
PASSPHRASE = "correct horse battery staple"  # 28 characters, spaces, no digit, no capital
LONG_64 = "Qz7" + "tea-garden-river-" * 3 + "moonlight-bridge-"[:10]
STAFF_PASSPHRASE = "Correct horse battery staple"  # upper, lower and the spaces: three classes
UNKNOWN_ID = valid_id("32010219550505123")


def change_password(client, old, new):
    return client.post(
        reverse("accounts:settings_password"), {"old_password": old, "new_password1": new, "new_password2": new}
    )


# --- 1. Password rules -------------------------------------------------------------------------------------------


def test_req_1_common_and_personal_passwords_are_rejected(client, alice):
    client.force_login(alice)
    refused = [
        "abc12345",
        "password1234",
        f"Wo{alice.mobile}",  # the whole mobile
        f"Ab{alice.mobile[-8:]}",  # its last eight digits
        f"zz{alice.id_number}",  # the whole ID number
        f"Shengri{alice.id_number[6:14]}",  # the birth date in it
        f"Ab{alice.id_number[-6:].lower()}cd",  # its last six characters, x in lower case
    ]
    for password in refused:
        response = change_password(client, PASSWORD, password)
        assert response.status_code == 200, password
        assert response.context["form"].errors.get("new_password1"), password
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_req_1_registration_refuses_a_password_with_the_own_numbers(client):
    mobile = "13700002222"
    response = register(client, mobile=mobile, new_password1=f"Mima{mobile}", new_password2=f"Mima{mobile}")
    assert response.status_code == 200
    assert "new_password1" in response.context["form"].errors
    assert not User.objects.filter(name="阿依古丽·买买提").exists()


@pytest.mark.parametrize("password", [PASSPHRASE, LONG_64], ids=["passphrase", "64-chars"])
def test_req_1_a_passphrase_and_a_64_character_password_are_accepted(client, alice, password):
    assert len(LONG_64) == 64
    client.force_login(alice)
    response = change_password(client, PASSWORD, password)
    assert response.status_code == 302, response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(password)


@pytest.mark.parametrize("password", [STAFF_PASSPHRASE, LONG_64], ids=["passphrase", "64-chars"])
def test_req_1_staff_accept_a_passphrase_and_a_64_character_password(nanjing_reviewer, password):
    client = staff_client(nanjing_reviewer)
    response = client.post(
        reverse("office:password_change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 302, response.context["form"].errors
    nanjing_reviewer.refresh_from_db()
    assert nanjing_reviewer.check_password(password)


def test_req_1_production_hasher_stores_argon2_or_pbkdf2(client, settings):
    """The suite hashes with MD5 for speed (conftest): put the production setting back and register for real."""
    production = project_settings.PASSWORD_HASHERS
    assert production[0].endswith(("Argon2PasswordHasher", "PBKDF2PasswordHasher"))
    assert all(h.endswith(("Argon2PasswordHasher", "PBKDF2PasswordHasher", "ScryptPasswordHasher")) for h in production)
    settings.PASSWORD_HASHERS = production
    assert register(client).status_code == 302
    user = User.objects.get(name="阿依古丽·买买提")
    assert user.password.startswith(("argon2", "pbkdf2_sha256$"))
    assert "Xuexi2026ok" not in user.password
    assert identify_hasher(user.password).algorithm in {"argon2", "pbkdf2_sha256"}


# --- 2. Lockout ----------------------------------------------------------------------------------------------------


def test_req_2_five_failures_lock_the_account_for_30_minutes_with_one_message(alice):
    start = timezone.now()
    attacker, owner = Client(), Client(REMOTE_ADDR="10.1.1.2")
    with freeze_time(start):
        for _ in range(4):
            assert LOGIN_FAILED_MESSAGE in learner_login(attacker, alice.id_number, WRONG).content.decode()
        assert learner_login(attacker, alice.id_number, WRONG).status_code == 403  # the 5th locks
    with freeze_time(start + timedelta(minutes=1)):
        right = learner_login(owner, alice.id_number)  # the 6th attempt, with the right password
        wrong = learner_login(attacker, alice.id_number, WRONG)
        assert right.status_code == wrong.status_code == 403
        assert LOCKED_MESSAGE in right.content.decode() and LOCKED_MESSAGE in wrong.content.decode()
        assert not signed_in(owner)
    with freeze_time(start + timedelta(minutes=29, seconds=50)):
        assert learner_login(owner, alice.id_number).status_code == 403
    with freeze_time(start + timedelta(minutes=30, seconds=10)):
        assert learner_login(owner, alice.id_number).status_code == 302
        assert signed_in(owner)
    assert AuditRecord.objects.filter(event=Event.LOCKOUT, result="locked").exists()


def test_req_2_staff_account_locks_after_five_failures(nanjing_reviewer):
    client = Client()
    for _ in range(5):
        staff_login(client, "nanjing", WRONG)
    response = staff_login(client, "nanjing")
    assert response.status_code == 403
    assert not signed_in(client)
    assert AuditRecord.objects.filter(event=Event.LOCKOUT).exists()


def test_req_2_a_success_resets_the_counter(client, alice):
    for _ in range(4):
        learner_login(client, alice.id_number, WRONG)
    assert learner_login(client, alice.id_number).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        learner_login(client, alice.id_number, WRONG)
    assert learner_login(client, alice.id_number).status_code == 302


def test_req_2_the_city_office_unlocks_and_it_is_audited(alice, nanjing_reviewer):
    client = Client()
    for _ in range(5):
        learner_login(client, alice.id_number, WRONG)
    assert learner_login(client, alice.id_number).status_code == 403
    office = staff_client(nanjing_reviewer)
    response = office.post(reverse("office:learners_unlock", args=[alice.pk]))
    assert response.status_code == 302
    assert AuditRecord.objects.filter(event=Event.UNLOCK, actor=nanjing_reviewer, object_id=str(alice.pk)).exists()
    assert learner_login(client, alice.id_number).status_code == 302


def test_req_2_never_more_than_100_failures_an_hour_for_one_account(alice, monkeypatch):
    """An attacker guessing every 30 s for an hour (120 tries, under the per-IP limit): the password is checked at
    most 100 times (the lock lets about ten through)."""
    checked = []
    original = User.check_password

    def counting(user, raw_password):
        if user.pk == alice.pk:
            checked.append(raw_password)
        return original(user, raw_password)

    monkeypatch.setattr(User, "check_password", counting)
    client = Client()
    start = timezone.now()
    for attempt in range(120):
        with freeze_time(start + timedelta(seconds=30 * attempt)):
            learner_login(client, alice.id_number, f"Guess{attempt:04d}x")
    assert 0 < len(checked) <= 100
    assert len(checked) <= 15  # 5 tries, 30 minutes locked, 5 tries, …
    assert not signed_in(client)


# --- 3. Captcha and the per-IP throttle ---------------------------------------------------------------------------


@pytest.mark.parametrize("captcha", [{}, {"captcha_0": "x", "captcha_1": "WRONG"}], ids=["missing", "wrong"])
def test_req_3_after_three_failures_the_next_attempt_needs_the_captcha(client, alice, captcha):
    for _ in range(3):
        learner_login(client, alice.id_number, WRONG)
    response = learner_login(client, alice.id_number, captcha=captcha)  # the right password, no captcha
    assert response.status_code == 200
    assert "captcha" in response.context["form"].errors
    assert not signed_in(client)
    assert learner_login(client, alice.id_number).status_code == 302  # with it


def test_req_3_staff_sign_in_needs_the_captcha_after_three_failures(nanjing_reviewer):
    client = Client()
    for _ in range(3):
        staff_login(client, "nanjing", WRONG)
    response = staff_login(client, "nanjing", captcha={})
    assert response.status_code == 200 and "captcha" in response.context["form"].errors
    assert not signed_in(client)


@pytest.mark.parametrize("path", [reverse("accounts:login"), OFFICE_LOGIN], ids=["learner", "staff"])
def test_req_3_twenty_failures_a_minute_from_one_ip_get_429_without_locking_victims(alice, bob, path, settings):
    settings.LOGIN_RATE_PER_IP_MINUTE = 20
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    field = "id_number" if path != OFFICE_LOGIN else "username"
    victims = [alice.id_number, bob.id_number] if path != OFFICE_LOGIN else ["nanjing", "suzhou"]
    if path == OFFICE_LOGIN:
        from conftest import make_staff

        make_staff("nanjing", "city", "320100")
        make_staff("suzhou", "city", "320500")
    start = timezone.now()
    with freeze_time(start):
        # 4 wrong passwords on each victim, 12 on unknown accounts: 20 failures in the minute
        for target in [*victims * 4, *[valid_id(f"32010219600101{n:03d}") for n in range(12)]]:
            response = attacker.post(path, {field: target, "password": WRONG, **CAPTCHA})
            assert response.status_code in (200, 403)
        # then the same IP keeps going at the victims: throttled, and none of it counts against their accounts
        for _ in range(10):
            for target in victims:
                assert attacker.post(path, {field: target, "password": WRONG, **CAPTCHA}).status_code == 429
    with freeze_time(start + timedelta(seconds=5)):
        for target in victims:
            owner = Client(REMOTE_ADDR="198.51.100.7")
            response = owner.post(path, {field: target, "password": PASSWORD, **CAPTCHA})
            assert response.status_code == 302, target
            assert signed_in(owner)
