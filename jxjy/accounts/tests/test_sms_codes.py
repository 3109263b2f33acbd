from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jxjy.accounts.models import SmsCode, User
from jxjy.audit.models import AuditRecord, Event

from .helpers import NEW_MOBILE, last_code, register_data, request_code

pytestmark = pytest.mark.django_db

START = timezone.make_aware(timezone.datetime(2026, 11, 2, 9, 0, 0))


def submit(client, code):
    return client.post(reverse("accounts:register"), {**register_data(), "sms_code": code})


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_req_8_code_is_six_digits_and_stored_only_hashed(client, outbox):
    request_code(client, NEW_MOBILE)
    code = last_code(NEW_MOBILE)
    assert len(code) == 6 and code.isdigit()
    row = SmsCode.objects.get()
    assert code not in row.code_hash
    assert NEW_MOBILE not in row.mobile_index
    assert row.expires_at - row.created_at == timedelta(minutes=5)


def test_req_8_code_comes_from_the_csprng(client, monkeypatch):
    """Six digits drawn by `secrets` (the OS CSPRNG) over the whole 000000–999999 range."""
    draws = []

    def randbelow(n):
        draws.append(n)
        return 42

    monkeypatch.setattr("jxjy.accounts.services.secrets.randbelow", randbelow)
    request_code(client, NEW_MOBILE)
    assert draws == [1_000_000]
    assert last_code(NEW_MOBILE) == "000042"


def test_req_8_code_expires_after_five_minutes(client):
    with freeze_time(START):
        request_code(client, NEW_MOBILE)
        code = last_code(NEW_MOBILE)
    with freeze_time(START + timedelta(minutes=5, seconds=1)):
        response = submit(client, code)
    assert "短信验证码错误或已失效" in response.content.decode()
    assert not User.objects.exists()


def test_req_8_code_works_within_five_minutes(client):
    with freeze_time(START):
        request_code(client, NEW_MOBILE)
        code = last_code(NEW_MOBILE)
    with freeze_time(START + timedelta(minutes=4, seconds=50)):
        assert submit(client, code).status_code == 302


def test_req_8_code_is_single_use(client, alice):
    request_code(client, NEW_MOBILE)
    code = last_code(NEW_MOBILE)
    assert submit(client, code).status_code == 302
    client.logout()
    response = client.post(reverse("accounts:register"), {**register_data(id_number=alice.id_number), "sms_code": code})
    assert "短信验证码错误或已失效" in response.content.decode()


def test_req_8_code_for_another_purpose_is_rejected(client):
    request_code(client, NEW_MOBILE, purpose="register")
    register_code = last_code(NEW_MOBILE)
    # A code sent for another purpose does not register.
    SmsCode.objects.filter(purpose="register").update(purpose="reset")
    assert "短信验证码错误或已失效" in submit(client, register_code).content.decode()
    assert not User.objects.exists()


def test_only_the_latest_code_counts(client, monkeypatch):
    draws = iter([111111, 222222])
    monkeypatch.setattr("jxjy.accounts.services.secrets.randbelow", lambda _: next(draws))
    with freeze_time(START):
        request_code(client, NEW_MOBILE)
        first = last_code(NEW_MOBILE)
    with freeze_time(START + timedelta(seconds=61)):
        request_code(client, NEW_MOBILE)
        second = last_code(NEW_MOBILE)
        assert (first, second) == ("111111", "222222")
        assert "短信验证码错误或已失效" in submit(client, first).content.decode()
        assert submit(client, second).status_code == 302


def test_req_8_code_is_void_after_five_wrong_guesses(client):
    request_code(client, NEW_MOBILE)
    code = last_code(NEW_MOBILE)
    for _ in range(5):
        assert "短信验证码错误或已失效" in submit(client, wrong(code)).content.decode()
    assert SmsCode.objects.get().failed_attempts == 5
    assert "短信验证码错误或已失效" in submit(client, code).content.decode()
    assert not User.objects.exists()


def test_four_wrong_tries_still_allow_the_right_code(client):
    request_code(client, NEW_MOBILE)
    code = last_code(NEW_MOBILE)
    for _ in range(4):
        submit(client, wrong(code))
    assert submit(client, code).status_code == 302


def test_req_9_send_limits_per_mobile(client, outbox):
    """At most once a minute, 5 an hour and 10 a day (the 2nd within 60 s, the 6th within the hour and the 11th
    within the day are refused with 429); a refused send never reaches the gateway."""
    t = START
    with freeze_time(t):
        assert request_code(client, NEW_MOBILE).status_code == 200
        refused = request_code(client, NEW_MOBILE)
        assert refused.status_code == 429
        assert "1 分钟" in refused.json()["errors"]["mobile"][0]
    for _ in range(4):
        t += timedelta(seconds=61)
        with freeze_time(t):
            assert request_code(client, NEW_MOBILE).status_code == 200
    assert len(outbox) == 5
    t += timedelta(seconds=61)
    with freeze_time(t):
        refused = request_code(client, NEW_MOBILE)
        assert refused.status_code == 429
        assert "次数过多" in refused.json()["errors"]["mobile"][0]
    assert len(outbox) == 5
    # The next hour allows 5 more, then the day's 10 are used up.
    t = START + timedelta(hours=1, seconds=1)
    for _ in range(5):
        t += timedelta(seconds=61)
        with freeze_time(t):
            assert request_code(client, NEW_MOBILE).status_code == 200
    t = START + timedelta(hours=3)
    with freeze_time(t):
        assert request_code(client, NEW_MOBILE).status_code == 429
    assert len(outbox) == 10
    with freeze_time(START + timedelta(days=1, seconds=1)):
        assert request_code(client, NEW_MOBILE).status_code == 200


def test_req_9_refusal_is_generic(client, alice, outbox):
    """A refused send reads the same whether or not the mobile belongs to an account, and sends nothing."""
    with freeze_time(START):
        replies = []
        for mobile in (alice.mobile, NEW_MOBILE):
            assert request_code(client, mobile).status_code == 200
            refused = request_code(client, mobile)
            assert refused.status_code == 429
            replies.append(refused.json()["errors"])
    assert replies[0] == replies[1]
    assert len(outbox) == 2


def test_send_limit_per_ip(client, settings, outbox):
    settings.SMS_LIMIT_PER_IP_HOUR = 3
    for i in range(3):
        assert request_code(client, f"1370000{i:04d}").status_code == 200
    refused = request_code(client, "13700009999")
    assert refused.status_code == 429
    assert "当前网络" in refused.json()["errors"]["mobile"][0]
    assert len(outbox) == 3


def test_refused_send_leaves_a_fresh_captcha(client):
    response = request_code(client, NEW_MOBILE, captcha={"captcha_0": "x", "captcha_1": "nope"})
    assert response.json()["captcha"]["image_url"].startswith("/captcha/image/")


def test_send_is_audited_with_masked_mobile(client):
    request_code(client, NEW_MOBILE)
    entry = AuditRecord.objects.get(event=Event.SMS_SEND)
    assert entry.detail == {"purpose": "register", "mobile": "137****1111"}


def test_bind_purpose_needs_sign_in(client, outbox):
    assert request_code(client, NEW_MOBILE, purpose="bind").status_code == 401
    assert request_code(client, NEW_MOBILE, purpose="reset").status_code == 400
    assert outbox == []


def test_gateway_failure_is_reported_clearly(client, settings):
    settings.SMS_BACKEND = "jxjy.accounts.tests.test_sms_codes.FailingBackend"
    response = request_code(client, NEW_MOBILE)
    assert response.status_code == 429
    assert "短信发送失败" in response.json()["errors"]["mobile"][0]


class FailingBackend:
    def send(self, message):
        from jxjy.lib.sms.base import SmsError

        raise SmsError("gateway down")
