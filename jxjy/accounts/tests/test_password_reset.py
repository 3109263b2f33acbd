import re

import pytest
from django.urls import reverse

from jxjy.accounts.models import SmsCode
from jxjy.accounts.services import BAD_CODE_MESSAGE
from jxjy.audit.models import AuditRecord, Event

from .helpers import CAPTCHA, last_code, login, valid_id

pytestmark = pytest.mark.django_db
START = reverse("accounts:password_reset")
VERIFY = reverse("accounts:password_reset_verify")


def start(client, name, id_number, captcha=CAPTCHA):
    return client.post(START, {"name": name, "id_number": id_number, **captcha})


def finish(client, code, password="Zhaohui2026ok"):
    return client.post(VERIFY, {"sms_code": code, "new_password1": password, "new_password2": password})


def test_reset_sends_a_code_to_the_registered_mobile_and_sets_the_password(client, alice, outbox):
    response = start(client, "张伟", alice.id_number)
    assert response.status_code == 302 and response.url == VERIFY
    page = client.get(VERIFY).content.decode()
    assert "138****8000" in page
    assert alice.mobile not in page
    assert outbox[-1].mobile == alice.mobile
    response = finish(client, last_code(alice.mobile))
    assert response.url == reverse("accounts:login")
    alice.refresh_from_db()
    assert alice.check_password("Zhaohui2026ok")
    assert AuditRecord.objects.filter(event=Event.PASSWORD_RESET, actor=alice).exists()
    assert outbox[-1].template == "notice"  # a notice without secrets
    assert not re.search(r"[0-9]{6}", outbox[-1].text)
    assert login(client, alice.id_number, password="Zhaohui2026ok").status_code == 302


def test_decoy_mask_is_stable_for_the_same_input(client):
    first = start(client, "张伟", valid_id("32010219550505123"))
    page1 = client.get(VERIFY).content.decode()
    start(client, "张伟", valid_id("32010219550505123"))
    page2 = client.get(VERIFY).content.decode()
    assert first.status_code == 302
    mask = re.compile(r"1[3-9][0-9]\*{4}[0-9]{4}")
    assert mask.search(page1).group() == mask.search(page2).group()


def test_req_9_unknown_pair_is_throttled_like_a_known_one(client, alice):
    assert start(client, "张伟", alice.id_number).status_code == 302
    known_again = start(client, "张伟", alice.id_number)
    unknown_id = valid_id("32010219550505123")
    assert start(client, "张伟", unknown_id).status_code == 302
    unknown_again = start(client, "张伟", unknown_id)
    assert known_again.status_code == unknown_again.status_code == 429
    assert "1 分钟" in known_again.content.decode() and "1 分钟" in unknown_again.content.decode()


def test_wrong_captcha_is_refused(client, alice, outbox):
    response = start(client, "张伟", alice.id_number, captcha={"captcha_0": "x", "captcha_1": "nope"})
    assert "图形验证码不对" in response.content.decode()
    assert outbox == []


def test_wrong_codes_void_the_reset(client, alice):
    start(client, "张伟", alice.id_number)
    code = last_code(alice.mobile)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert BAD_CODE_MESSAGE in finish(client, wrong).content.decode()
    assert BAD_CODE_MESSAGE in finish(client, code).content.decode()
    alice.refresh_from_db()
    assert alice.check_password("Demo1234")


def test_req_8_register_code_does_not_reset(client, alice):
    start(client, "张伟", alice.id_number)
    SmsCode.objects.filter(purpose="reset").update(purpose="register")
    assert BAD_CODE_MESSAGE in finish(client, last_code(alice.mobile)).content.decode()


def test_new_password_follows_the_rules_the_same_way_for_both_paths(client, alice):
    from django.test import Client

    start(client, "张伟", alice.id_number)
    known = finish(client, "000000", password="a" + alice.id_number[-8:]).content.decode()
    other = Client()
    unknown_id = valid_id("32010219550505123")
    start(other, "张伟", unknown_id)
    unknown = finish(other, "000000", password="a" + unknown_id[-8:]).content.decode()
    assert "身份证号" in known and "身份证号" in unknown
    assert BAD_CODE_MESSAGE not in known and BAD_CODE_MESSAGE not in unknown


def test_reset_clears_a_lockout(client, alice):
    for _ in range(5):
        login(client, alice.id_number, password="Wrong2026x")
    assert login(client, alice.id_number).status_code == 403
    start(client, "张伟", alice.id_number)
    finish(client, last_code(alice.mobile))
    assert login(client, alice.id_number, password="Zhaohui2026ok").status_code == 302


def test_verify_page_without_a_ticket_goes_back(client):
    assert client.get(VERIFY).url == START


def test_req_5_reset_ends_every_session_and_sends_a_notice(alice, outbox):
    from django.test import Client

    phone, pc = Client(), Client()
    login(phone, alice.id_number)
    login(pc, alice.id_number)
    resetter = Client()
    start(resetter, "张伟", alice.id_number)
    finish(resetter, last_code(alice.mobile))
    assert phone.get("/center/").status_code == 302
    assert pc.get("/center/").status_code == 302
    notice = outbox[-1]
    assert notice.template == "notice" and notice.mobile == alice.mobile
    assert not re.search(r"[0-9]{6}", notice.text) and "Zhaohui2026ok" not in notice.text
