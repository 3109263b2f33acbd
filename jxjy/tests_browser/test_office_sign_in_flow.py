"""The staff sign-in in a real browser, on a phone and a desktop: a content editor opens the back office, is sent
to 工作人员登录 (用户名, 密码, 图形验证码), binds an authenticator by the QR code's secret (绑定动态码: the code is
computed from the secret shown on the page, as an authenticator app would), lands on 后台首页, signs out, and signs
in again with a code instead of a new QR code."""

import base64
import time

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import expect

from conftest import PASSWORD
from jxjy.accounts.models import User

from .steps import CAPTCHA, at, totp_code

pytestmark = pytest.mark.browser


def code_from_secret(secret, ahead=0):
    """What an authenticator app shows for a typed-in secret (base32, in groups of four)."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() + ahead * 30
    return f"{totp.token():06d}"


def sign_in_with_password(browsing, user, step):
    page = browsing.page
    page.goto("/office/")
    expect(page).to_have_url(at("/office/login/"))
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    browsing.snap(step)
    page.get_by_label("用户名", exact=True).fill(user.username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    page.get_by_role("button", name="登录", exact=True).click()


def test_sign_in_enrol_and_reach_the_back_office(browsing, content_editor):
    User.objects.filter(pk=content_editor.pk).update(password_changed_at=timezone.now())
    page = browsing.page
    sign_in_with_password(browsing, content_editor, "office-01-login")

    expect(page).to_have_url(at("/office/otp/enrol/"))
    expect(page.get_by_role("heading", name="绑定动态码")).to_be_visible()
    qr = page.get_by_role("img", name="动态码绑定二维码（无法扫描时请手动输入下方密钥）")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth > 0", qr.element_handle())
    browsing.snap("office-02-enrol")
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    page.get_by_label("动态码", exact=True).fill("000000" if code_from_secret(secret) != "000000" else "111111")
    page.get_by_role("button", name="确认绑定").click()
    expect(page.get_by_text("动态码不正确")).to_be_visible()
    page.get_by_label("动态码", exact=True).fill(code_from_secret(secret))
    page.get_by_role("button", name="确认绑定").click()

    expect(page).to_have_url(at("/office/"))
    expect(page.get_by_role("heading", name="业务后台")).to_be_visible()
    expect(page.get_by_text("动态码绑定成功")).to_be_visible()
    browsing.snap("office-03-home")

    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(at("/office/login/"))
    sign_in_with_password(browsing, content_editor, "office-04-login-again")
    expect(page).to_have_url(at("/office/otp/verify/"))
    expect(page.get_by_role("heading", name="输入动态码")).to_be_visible()
    browsing.snap("office-05-verify")
    device = content_editor.totpdevice_set.get(confirmed=True)
    page.get_by_label("动态码", exact=True).fill(totp_code(device))
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page).to_have_url(at("/office/"))
