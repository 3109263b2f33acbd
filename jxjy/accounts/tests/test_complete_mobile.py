import pytest
from django.urls import reverse

from jxjy.accounts.services import BAD_CODE_MESSAGE
from jxjy.audit.models import AuditRecord, Event

from .helpers import last_code, login, request_code

pytestmark = pytest.mark.django_db
PAGE = reverse("accounts:complete_mobile")


def test_learner_without_mobile_is_sent_to_complete_it(client, charlie):
    response = login(client, charlie.id_number)
    assert response.status_code == 302
    for path in ("/center/", "/account/settings/", "/account/settings/password/", "/account/settings/addresses/"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.url == PAGE, path
    assert client.post("/account/settings/", {"work_unit": "x"}).url == PAGE
    assert client.get(PAGE).status_code == 200


def test_a_learner_without_mobile_can_still_find_help(client, charlie):
    """换了手机号 is a question for 联系我们 / 常见问题: the pages that answer it stay open."""
    login(client, charlie.id_number)
    for name in ("portal:contact", "portal:faq", "portal:manual"):
        assert client.get(reverse(name)).status_code == 200, name
    page = client.get(PAGE).content.decode()
    assert reverse("portal:contact") in page


def test_saving_a_verified_mobile_unlocks_the_platform(client, charlie):
    login(client, charlie.id_number)
    assert request_code(client, "13600002222", purpose="bind").status_code == 200
    response = client.post(PAGE, {"action": "save", "mobile": "13600002222", "sms_code": last_code("13600002222")})
    assert response.url == reverse("learning:center")
    assert client.get("/center/").status_code == 200
    charlie.refresh_from_db()
    assert charlie.mobile == "13600002222" and charlie.mobile_verified_at is not None
    record = AuditRecord.objects.get(event=Event.MOBILE_CHANGE)
    assert record.detail == {"old": "", "new": "136****2222"}


def test_wrong_code_saves_nothing(client, charlie):
    login(client, charlie.id_number)
    request_code(client, "13600002222", purpose="bind")
    wrong = f"{(int(last_code('13600002222')) + 1) % 1_000_000:06d}"
    response = client.post(PAGE, {"action": "save", "mobile": "13600002222", "sms_code": wrong})
    assert BAD_CODE_MESSAGE in response.content.decode()
    charlie.refresh_from_db()
    assert charlie.mobile == ""


def test_req_8_code_is_bound_to_its_mobile(client, charlie):
    login(client, charlie.id_number)
    request_code(client, "13600002222", purpose="bind")
    code = last_code("13600002222")
    response = client.post(PAGE, {"action": "save", "mobile": "13600003333", "sms_code": code})
    assert BAD_CODE_MESSAGE in response.content.decode()


def test_mobile_of_another_account_is_refused(client, charlie, alice):
    login(client, charlie.id_number)
    request_code(client, alice.mobile, purpose="bind")
    response = client.post(PAGE, {"action": "save", "mobile": alice.mobile, "sms_code": last_code(alice.mobile)})
    assert "已被其他账号使用" in response.content.decode()
    charlie.refresh_from_db()
    assert charlie.mobile == ""


def test_no_script_send_path(client, charlie, outbox):
    login(client, charlie.id_number)
    response = client.post(
        PAGE, {"action": "send_code", "mobile": "13600002222", "captcha_0": "x", "captcha_1": "PASSED"}
    )
    assert response.status_code == 200
    assert "验证码已发送至 136****2222" in response.content.decode()
    assert outbox[-1].mobile == "13600002222"


def test_changing_a_verified_mobile_needs_the_password(client, alice, outbox):
    """Issue 12 item 11: a session left open is not enough to take the phone 找回密码 sends its codes to."""
    login(client, alice.id_number)
    page = client.get(PAGE).content.decode()
    assert "更换手机号" in page and "登录密码" in page and alice.mobile_masked in page
    request_code(client, "13600004444", purpose="bind")
    code = last_code("13600004444")
    for password in ({}, {"password": "Wrong2026x"}):
        refused = client.post(PAGE, {"action": "save", "mobile": "13600004444", "sms_code": code, **password})
        assert refused.status_code == 200
        assert ("请输入登录密码" if not password else "登录密码不正确") in refused.content.decode()
    alice.refresh_from_db()
    assert alice.mobile == "13800138000"
    assert AuditRecord.objects.filter(event=Event.MOBILE_CHANGE, result="failed").count() == 1
    # The code was not used up by the refusals: with the password it binds the new mobile.
    response = client.post(PAGE, {"action": "save", "mobile": "13600004444", "sms_code": code, "password": "Demo1234"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.mobile == "13600004444" and alice.mobile_verified_at is not None
    record = AuditRecord.objects.get(event=Event.MOBILE_CHANGE, result="ok")
    assert record.detail == {"old": "138****8000", "new": "136****4444"}
    notice = outbox[-1]
    assert notice.template == "notice" and notice.mobile == "13800138000"  # the old mobile is told
    assert "13600004444" not in notice.text and "136****4444" not in notice.text


def test_wrong_passwords_on_the_mobile_page_are_limited(client, alice):
    login(client, alice.id_number)
    request_code(client, "13600004444", purpose="bind")
    code = last_code("13600004444")
    for _ in range(5):
        client.post(PAGE, {"action": "save", "mobile": "13600004444", "sms_code": code, "password": "Wrong2026x"})
    response = client.post(PAGE, {"action": "save", "mobile": "13600004444", "sms_code": code, "password": "Demo1234"})
    assert "错误次数过多" in response.content.decode()
    alice.refresh_from_db()
    assert alice.mobile == "13800138000"


def test_first_mobile_needs_no_password(client, charlie):
    login(client, charlie.id_number)
    page = client.get(PAGE).content.decode()
    assert "完善手机信息" in page and "登录密码" not in page
