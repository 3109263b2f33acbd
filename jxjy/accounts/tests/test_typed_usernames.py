"""An ID number or a mobile typed as a username — at the staff sign-in or the learner login — is stored nowhere in
the clear: not in django-axes' tables (attempts, failure log, access log), not in the audit log, not in a log line.
Only a keyed hash is kept, and the lockout still counts it."""

import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse

from jxjy.accounts.models import id_number_index
from jxjy.accounts.usernames import looks_personal, safe_username
from jxjy.audit.models import AuditRecord, Event

from .helpers import CAPTCHA, login

pytestmark = pytest.mark.django_db
OFFICE_LOGIN = "/office/login/"


def staff_login(client, username, password="Wrong2026x"):
    return client.post(OFFICE_LOGIN, {"username": username, "password": password, **CAPTCHA})


def traces(number):
    """The number and long runs of its digits (a birth date, the last eight): none may be stored."""
    return {number, number[-8:], number[6:14]} if len(number) == 18 else {number, number[-8:], number[:7]}


def everything_stored(caplog) -> str:
    rows = [
        *AccessAttempt.objects.all(),
        *AccessFailureLog.objects.all(),
        *AccessLog.objects.all(),
        *AuditRecord.objects.all(),
    ]
    dump = "\n".join(str({k: v for k, v in vars(row).items() if k != "_state"}) for row in rows)
    return dump + "\n" + "\n".join(record.getMessage() for record in caplog.records)


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="axes")
    return caplog


def test_req_25_personal_numbers_typed_at_either_sign_in_are_stored_only_hashed(
    alice, nanjing_reviewer, all_logs, settings
):
    settings.LOGIN_RATE_PER_IP_MINUTE = 1000
    spaced_mobile = f"{alice.mobile[:3]} {alice.mobile[3:7]} {alice.mobile[7:]}"
    staff = Client()
    for typed in (alice.id_number, alice.mobile, spaced_mobile, alice.id_number.lower()):
        for _ in range(6):  # up to and past the lock
            assert staff_login(staff, typed).status_code in (200, 403)
    learner = Client()
    for typed in (alice.mobile, alice.id_number):
        for _ in range(3):
            assert login(learner, typed, password="Wrong2026x").status_code == 200
    staff_login(Client(), "nanjing", password="Demo1234")  # a real sign-in, in the access log
    assert AccessAttempt.objects.exists() and AccessFailureLog.objects.exists() and AccessLog.objects.exists()
    assert AuditRecord.objects.filter(event=Event.LOGIN_FAILED).count() >= 20
    assert AuditRecord.objects.filter(event=Event.LOCKOUT).exists()

    stored = everything_stored(all_logs)
    for number in (alice.id_number, alice.mobile):
        for trace in traces(number):
            assert trace not in stored, f"{trace} is stored"
    assert "Wrong2026x" not in stored


def test_req_25_a_typed_number_is_kept_as_its_keyed_hash_and_still_locks(nanjing_reviewer, alice):
    client = Client()
    for _ in range(5):
        staff_login(client, alice.id_number)
    locked = staff_login(client, alice.id_number)
    assert locked.status_code == 403
    usernames = set(AccessAttempt.objects.values_list("username", flat=True))
    assert usernames == {safe_username(alice.id_number)}
    (hashed,) = usernames
    assert hashed.startswith("#") and len(hashed) == 65
    assert hashed != "#" + id_number_index(alice.id_number)  # not the learner's own index: a key of its own
    # A staff member's own name is kept as it is (the office unlocks by it).
    staff_login(client, "nanjing")
    assert AccessAttempt.objects.filter(username="nanjing").exists()


def test_req_33_log_lines_of_a_locked_sign_in_hold_no_typed_number(alice, nanjing_reviewer, all_logs):
    client = Client()
    for _ in range(7):
        staff_login(client, alice.mobile)
    text = "\n".join(record.getMessage() for record in all_logs.records)
    assert "AXES: Locking out" in text
    assert alice.mobile not in text and alice.mobile[-8:] not in text


def test_learner_login_still_keys_attempts_by_the_account_index(client, alice):
    login(client, alice.id_number, password="Wrong2026x")
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {alice.username}
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "value, personal",
    [
        ("320102199001011234", True),
        ("32010219900101123x", True),
        ("13800138000", True),
        ("+86 138-0013-8000", True),
        ("１３８００１３８０００", True),  # full-width digits
        ("张伟320102199001011234", True),
        ("1380013", True),
        ("nanjing", False),
        ("suzhou02", False),
        ("admin123456", False),
        ("", False),
    ],
)
def test_what_looks_like_a_personal_number(value, personal):
    assert looks_personal(value) is personal
    stored = safe_username(value)
    assert (stored != value) is personal
    assert safe_username(stored) == stored  # hashing twice changes nothing


def test_a_learner_index_is_left_as_it_is(alice):
    assert safe_username(alice.username) == alice.username
    assert safe_username(None) is None
