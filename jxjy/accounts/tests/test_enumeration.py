"""Requirement 4: login, 找回密码 and 新用户注册 answer the same — body, status and time (medians within 50 ms) — whether
or not the ID number, the name + ID number pair or the mobile is on file."""

import re
import statistics
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from jxjy.accounts import tasks
from jxjy.accounts.models import User
from jxjy.accounts.services import BAD_CODE_MESSAGE
from jxjy.accounts.views import LOGIN_FAILED_MESSAGE
from jxjy.audit.models import AuditRecord, Event

from .helpers import CAPTCHA, NEW_ID, NEW_MOBILE, login, register_data, request_code, valid_id

pytestmark = pytest.mark.django_db
UNKNOWN_ID = valid_id("32010219550505123")
ROUNDS = 7  # interleaved pairs; the median of each side is compared
TOLERANCE_MS = 50
SLOW = 0.08  # seconds: a real password hash or SMS gateway round trip costs about this (or more)


def normalise(html, *typed):
    """The page without what differs on every request (CSRF token, captcha key and image) and without the values
    the visitor typed, which the form echoes back."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'value="[0-9a-f]{40}"', "", html)  # captcha key
    html = re.sub(r"/captcha/image/[0-9a-f]{40}/(@2/)?", "", html)
    for value in typed:
        html = html.replace(value, "TYPED")
    return html


def median_times_ms(first, second, rounds=ROUNDS):
    """Call `first` and `second` alternately (drift hits both alike); the median milliseconds of each."""
    times = ([], [])
    for _ in range(rounds):
        for fn, bucket in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            fn()
            bucket.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


class SlowHasher(MD5PasswordHasher):
    """A password hasher that costs what a real one costs (Argon2 takes longer still): a path that skipped hashing
    for an unknown account would answer measurably sooner."""

    algorithm = "slow_md5"

    def encode(self, password, salt):
        time.sleep(SLOW)
        return super().encode(password, salt)

    def verify(self, password, encoded):
        time.sleep(SLOW)
        return constant_time_compare(encoded, super().encode(password, self.decode(encoded)["salt"]))


class SlowGateway:
    """An SMS gateway that answers after a network round trip, recording what it was asked to send."""

    sent = []

    def send(self, message):
        time.sleep(SLOW)
        SlowGateway.sent.append(message)


@pytest.fixture
def many_tries(settings):
    """Room for repeated requests: no lock, no throttle (each is still checked: the same code runs in both
    branches)."""
    settings.AXES_FAILURE_LIMIT = 1000
    settings.LOGIN_RATE_PER_IP_MINUTE = 10_000
    settings.SMS_LIMITS_PER_MOBILE = [(60, 10_000)]
    settings.SMS_LIMIT_PER_IP_HOUR = 10_000


# --- 登录 ----------------------------------------------------------------------------------------------------


def test_req_4_login_unknown_id_and_wrong_password_get_the_same_reply(client, alice):
    wrong = login(client, alice.id_number, password="Wrong2026x")
    unknown = login(Client(), UNKNOWN_ID, password="Wrong2026x")
    assert wrong.status_code == unknown.status_code == 200
    assert LOGIN_FAILED_MESSAGE in wrong.content.decode()
    assert normalise(wrong.content.decode(), alice.id_number) == normalise(unknown.content.decode(), UNKNOWN_ID)
    assert AuditRecord.objects.filter(event=Event.LOGIN_FAILED).count() == 2


def test_req_4_login_unknown_id_and_wrong_password_take_the_same_time(alice, settings, many_tries):
    settings.PASSWORD_HASHERS = [f"{__name__}.SlowHasher"]
    alice.set_password("Demo1234")
    alice.save(update_fields=["password"])
    assert alice.password.startswith("slow_md5$")
    known_client, unknown_client = Client(), Client()
    statuses = set()

    def known():
        statuses.add(login(known_client, alice.id_number, password="Wrong2026x").status_code)

    def unknown():
        statuses.add(login(unknown_client, UNKNOWN_ID, password="Wrong2026x").status_code)

    known_ms, unknown_ms = median_times_ms(known, unknown)
    assert statuses == {200}
    assert known_ms > SLOW * 1000  # the password was really checked
    assert abs(known_ms - unknown_ms) <= TOLERANCE_MS, (known_ms, unknown_ms)


# --- 找回密码 -------------------------------------------------------------------------------------------------

RESET = reverse("accounts:password_reset")


def start_reset(client, name, id_number):
    return client.post(RESET, {"name": name, "id_number": id_number, **CAPTCHA})


def test_req_4_forgot_password_same_reply_whether_or_not_the_pair_exists(client, alice, outbox):
    known = start_reset(client, "张伟", alice.id_number)
    known_page = client.get(known.url).content.decode()
    other = Client()
    unknown = start_reset(other, "张伟", UNKNOWN_ID)
    unknown_page = other.get(unknown.url).content.decode()
    wrong_name = Client()
    start_reset(wrong_name, "李四", alice.id_number)
    wrong_name_page = wrong_name.get(unknown.url).content.decode()

    assert known.status_code == unknown.status_code == 302 and known.url == unknown.url
    mask = re.compile(r"1[3-9][0-9]\*{4}[0-9]{4}")
    assert mask.search(unknown_page)  # a plausible mask, not a give-away
    assert mask.sub("MASK", normalise(known_page)) == mask.sub("MASK", normalise(unknown_page))
    assert mask.sub("MASK", normalise(known_page)) == mask.sub("MASK", normalise(wrong_name_page))
    assert [m.mobile for m in outbox] == [alice.mobile]  # only the real pair got a code


def test_req_4_forgot_password_queues_the_same_task_in_both_branches(alice, monkeypatch, outbox):
    """The request's own work is the same: a code recorded under an index and one task queued with an index and an
    encrypted code. Run later, the task for the unknown pair finds no mobile and sends nothing."""
    queued = []
    monkeypatch.setattr(tasks.send_reset_code, "delay", lambda *args: queued.append(args))
    start_reset(Client(), "张伟", alice.id_number)
    start_reset(Client(), "张伟", UNKNOWN_ID)
    start_reset(Client(), "李四", alice.id_number)
    assert len(queued) == 3 and outbox == []
    shapes = [(len(index), sealed[:3], len(sealed)) for index, sealed, *_ in queued]
    assert shapes[0] == shapes[1] == shapes[2]
    for args in queued:
        assert alice.mobile not in str(args) and alice.id_number not in str(args)
    for args in queued:
        tasks.send_reset_code(*args)
    assert [m.mobile for m in outbox] == [alice.mobile]


def test_req_4_forgot_password_takes_the_same_time_whether_or_not_the_pair_exists(
    alice, settings, monkeypatch, many_tries
):
    """With a gateway that takes a real round trip and tasks left to a worker (as in production), the two branches
    answer within 50 ms of each other: no SMS is sent inside the request."""
    settings.SMS_BACKEND = f"{__name__}.SlowGateway"
    SlowGateway.sent = []
    queued = []
    monkeypatch.setattr(tasks.send_reset_code, "delay", lambda *args: queued.append(args))
    statuses = set()

    def known():
        statuses.add(start_reset(Client(), "张伟", alice.id_number).status_code)

    def unknown():
        statuses.add(start_reset(Client(), "张伟", UNKNOWN_ID).status_code)

    known_ms, unknown_ms = median_times_ms(known, unknown)
    assert statuses == {302}
    assert len(queued) == 2 * ROUNDS and SlowGateway.sent == []
    assert abs(known_ms - unknown_ms) <= TOLERANCE_MS, (known_ms, unknown_ms)


def test_req_4_forgot_password_takes_the_same_time_with_tasks_run_in_process(alice, many_tries, outbox):
    """Without a broker the task runs inside the request: the unknown pair's task takes the same path (the lookup)
    and stops where the known pair's sends."""
    known_ms, unknown_ms = median_times_ms(
        lambda: start_reset(Client(), "张伟", alice.id_number), lambda: start_reset(Client(), "张伟", UNKNOWN_ID)
    )
    assert len(outbox) == ROUNDS and {m.mobile for m in outbox} == {alice.mobile}
    assert abs(known_ms - unknown_ms) <= TOLERANCE_MS, (known_ms, unknown_ms)


# --- 新用户注册 -----------------------------------------------------------------------------------------------

REGISTER = reverse("accounts:register")


def test_req_4_register_with_an_id_or_mobile_on_file_gets_the_same_reply(client, alice):
    """Before the SMS code has proved the phone, an ID number or mobile on file changes nothing in the answer."""
    fresh = client.post(REGISTER, register_data(sms_code="000000"))
    taken_id = Client().post(REGISTER, register_data(id_number=alice.id_number, sms_code="000000"))
    taken_mobile = Client().post(REGISTER, register_data(mobile=alice.mobile, sms_code="000000"))
    assert fresh.status_code == taken_id.status_code == taken_mobile.status_code
    assert BAD_CODE_MESSAGE in fresh.content.decode()
    page = normalise(fresh.content.decode(), NEW_ID, NEW_MOBILE)
    assert normalise(taken_id.content.decode(), alice.id_number, NEW_MOBILE) == page
    assert normalise(taken_mobile.content.decode(), NEW_ID, alice.mobile) == page


def test_req_4_register_code_for_a_mobile_on_file_gets_the_same_reply(client, alice, outbox):
    on_file = request_code(client, alice.mobile)
    fresh = request_code(Client(), NEW_MOBILE)
    assert on_file.status_code == fresh.status_code == 200
    strip = {"message", "captcha"}
    assert {k: v for k, v in on_file.json().items() if k not in strip} == {
        k: v for k, v in fresh.json().items() if k not in strip
    }
    assert on_file.json()["message"].replace("138****8000", "M") == fresh.json()["message"].replace("137****1111", "M")
    assert sorted(m.mobile for m in outbox) == sorted([alice.mobile, NEW_MOBILE])


def test_req_4_register_with_an_id_on_file_takes_the_same_time(alice, many_tries):
    fresh_ms, taken_ms = median_times_ms(
        lambda: Client().post(REGISTER, register_data(sms_code="000000")),
        lambda: Client().post(REGISTER, register_data(id_number=alice.id_number, sms_code="000000")),
    )
    assert abs(fresh_ms - taken_ms) <= TOLERANCE_MS, (fresh_ms, taken_ms)
    assert User.objects.count() == 1
