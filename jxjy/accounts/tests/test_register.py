import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from jxjy.accounts.models import Role, SmsCode, User, id_number_index
from jxjy.accounts.services import TAKEN_MESSAGE
from jxjy.audit.models import AuditRecord, Event

from .helpers import (
    CAPTCHA,
    NEW_ID,
    NEW_MOBILE,
    last_code,
    register,
    register_data,
    request_code,
    valid_id,
)

pytestmark = pytest.mark.django_db


def test_register_lands_in_center_signed_in(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    response = register(client)
    assert response.status_code == 302
    assert response.url == reverse("learning:center")
    page = client.get(reverse("learning:center"))
    assert page.status_code == 200
    assert "阿依古丽·买买提" in page.content.decode()

    user = User.objects.get(username=id_number_index(NEW_ID))
    assert user.role == Role.LEARNER
    assert user.id_number == NEW_ID
    assert user.mobile == NEW_MOBILE
    assert user.mobile_verified_at is not None
    assert user.gender == "M"  # sequence 123 is odd
    assert user.city_id == "320100"  # hint from the ID's 3201 prefix
    assert user.privacy_consent_at is not None
    assert identify_hasher(user.password).algorithm == "argon2"
    assert AuditRecord.objects.filter(event=Event.REGISTER, actor=user, result="ok").exists()


def test_argon2_is_the_configured_hasher():
    from jxjy import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_the_page_shows_masked_numbers_only(client):
    register(client)
    html = client.get(reverse("learning:center")).content.decode()
    assert NEW_ID not in html
    assert NEW_MOBILE not in html
    assert NEW_ID[:6] + "********" + NEW_ID[-4:] in html
    assert "137****1111" in html


def test_send_code_without_script_rerenders_the_form(client, outbox):
    response = client.post(
        reverse("accounts:register"),
        {"action": "send_code", "name": "张三", "id_number": NEW_ID, "mobile": NEW_MOBILE, **CAPTCHA},
    )
    assert response.status_code == 200
    assert "验证码已发送至 137****1111" in response.content.decode()
    assert len(outbox) == 1
    assert outbox[0].mobile == NEW_MOBILE
    assert len(outbox[0].params["code"]) == 6


def test_req_9_wrong_captcha_sends_nothing(client, outbox):
    response = request_code(client, NEW_MOBILE, captcha={"captcha_0": "x", "captcha_1": "WRONG"})
    assert response.status_code == 400
    assert "图形验证码不对" in response.json()["errors"]["captcha"][0]
    assert outbox == []
    assert not SmsCode.objects.exists()


def test_req_9_missing_captcha_sends_nothing(client, outbox):
    response = client.post(reverse("accounts:send_code"), {"mobile": NEW_MOBILE, "purpose": "register"})
    assert response.status_code == 400
    assert outbox == []


@pytest.mark.parametrize(
    "id_number, message",
    [
        ("110105194912310021", "校验位"),
        ("110101199002300014", "出生日期"),
        ("11010119000229002X", "出生日期"),
        ("11010519491231002", "18 位"),
        ("１１０１０５１９４９１２３１００２Ｘ", "只能由数字"),
        ("11010519491231002X\n", "18 位"),
    ],
)
def test_bad_id_numbers_are_refused(client, id_number, message):
    response = register(client, id_number=id_number)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_lowercase_x_registers_as_upper(client):
    id_number = valid_id("11010519491231002").lower()  # ends in x
    assert id_number.endswith("x")
    register(client, id_number=id_number)
    assert User.objects.get().id_number == id_number.upper()


@pytest.mark.parametrize("name", ["买买提·艾力", "𠮷野家", "王𪚥"])
def test_names_with_dots_and_rare_characters(client, name):
    assert register(client, name=name).status_code == 302
    assert User.objects.get().name == name


@pytest.mark.parametrize("name", ["Zhang", "张", "张三<script>"])
def test_bad_names_are_refused(client, name):
    response = register(client, name=name)
    assert response.status_code == 200
    assert "姓名" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "password, message",
    [
        ("abc12345", "太简单"),
        ("password1234", "太简单"),
        ("onlyletters", "字母和数字"),
        ("1234567890", "字母和数字"),
        ("Ab1", "太短"),
        ("x" + NEW_ID + "a", "身份证号"),
        ("a0808123b", "身份证号"),  # six digits of the ID number
        ("zz13700001111", "手机号"),
    ],
)
def test_weak_passwords_are_refused(client, password, message):
    response = register(client, new_password1=password, new_password2=password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_long_passphrase_with_spaces_is_accepted(client):
    phrase = "my garden has 3 apple trees and 2 old pears"
    assert register(client, new_password1=phrase, new_password2=phrase).status_code == 302
    assert User.objects.get().check_password(phrase)


def test_password_confirmation_must_match(client):
    response = register(client, new_password2="Different2026")
    assert "两次输入的密码不一致" in response.content.decode()
    assert not User.objects.exists()


def test_consent_is_required(client):
    data = register_data()
    del data["consent"]
    request_code(client, NEW_MOBILE)
    data["sms_code"] = last_code(NEW_MOBILE)
    response = client.post(reverse("accounts:register"), data)
    assert "请阅读并勾选同意" in response.content.decode()
    assert not User.objects.exists()


def test_wrong_sms_code_is_refused(client):
    request_code(client, NEW_MOBILE)
    code = last_code(NEW_MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:register"), {**register_data(), "sms_code": wrong})
    assert "短信验证码错误或已失效" in response.content.decode()
    assert not User.objects.exists()


def test_duplicate_id_number_gets_a_reply_that_names_no_one(client, alice):
    response = register(client, id_number=alice.id_number)
    html = response.content.decode()
    assert TAKEN_MESSAGE in html
    for secret in (alice.name, alice.mobile, alice.mobile_masked):
        assert secret not in html
    assert User.objects.count() == 1


def test_duplicate_mobile_gets_the_same_reply(client, alice):
    by_id = register(client, id_number=alice.id_number).content.decode()
    client.cookies.clear()
    by_mobile = register(client, mobile=alice.mobile, id_number=valid_id("32010219770707123")).content.decode()
    assert TAKEN_MESSAGE in by_mobile
    assert by_id.count(TAKEN_MESSAGE) == by_mobile.count(TAKEN_MESSAGE) == 1
    assert User.objects.count() == 1


def test_signed_in_user_is_sent_to_center(client, alice):
    client.force_login(alice)
    assert client.get(reverse("accounts:register")).url == reverse("learning:center")
