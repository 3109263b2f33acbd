"""Steps shared by the accounts tests, through the real HTTP layer."""

from django.urls import reverse

from jxjy.lib.idcard import check_char
from jxjy.lib.sms import locmem

CAPTCHA = {"captcha_0": "any", "captcha_1": "PASSED"}


def valid_id(first17: str) -> str:
    return first17 + check_char(first17)


NEW_ID = valid_id("32010219880808123")
NEW_MOBILE = "13700001111"
NEW_PASSWORD = "Xuexi2026ok"


def request_code(client, mobile, purpose="register", captcha=CAPTCHA):
    return client.post(reverse("accounts:send_code"), {"mobile": mobile, "purpose": purpose, **captcha})


def last_code(mobile):
    for message in reversed(locmem.outbox):
        if message.mobile == mobile and message.template == "code":
            return message.params["code"]
    raise AssertionError(f"no code sent to {mobile[:3]}****")


def register_data(**overrides):
    data = {
        "action": "register",
        "name": "阿依古丽·买买提",
        "id_number": NEW_ID,
        "mobile": NEW_MOBILE,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        "consent": "on",
    }
    data.update(overrides)
    return data


def register(client, **overrides):
    data = register_data(**overrides)
    if "sms_code" not in data:
        assert request_code(client, data["mobile"]).status_code == 200
        data["sms_code"] = last_code(data["mobile"])
    return client.post(reverse("accounts:register"), data)


def login(client, id_number, password="Demo1234", captcha=CAPTCHA, **extra):
    return client.post(reverse("accounts:login"), {"id_number": id_number, "password": password, **captcha, **extra})
