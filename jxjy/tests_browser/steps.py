"""Steps shared by the browser flows."""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

CAPTCHA = "PASSED"
PASSWORD = "Demo1234"


def at(path):
    """page.url matches `path` on the live server, with or without a query string."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")


def log_in(browsing, user, step):
    """Sign in through the login page (ID number, password, captcha) and land in 学员中心."""
    page = browsing.page
    page.goto("/login/")
    browsing.snap(step)
    page.get_by_label("身份证号", exact=True).fill(user.id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(at("/center/"))


def pdf_text(path):
    """The text of a PDF as pdftotext (poppler-utils) extracts it."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext not found: install poppler-utils (apt-get install poppler-utils)")
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def totp_code(device):
    """The 6-digit code an authenticator app shows now for `device`, or the next one when this step's code was
    already used (django-otp refuses a code twice and accepts one step of drift)."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step
    return f"{totp.token():0{device.digits}d}"


def staff_log_in(page, user, next_path="/office/"):
    """Sign a staff member in through /office/login/ (username, password, captcha PASSED), then the second
    factor with a real TOTP code from their device in the database (one is made, confirmed, if they have none),
    and land on `next_path`. A never-changed password counts as fresh here, as it does for `staff_client`."""
    from urllib.parse import quote

    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import PASSWORD
    from jxjy.accounts.models import User

    User.objects.filter(pk=user.pk, password_changed_at__isnull=True).update(password_changed_at=timezone.now())
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="动态码", confirmed=True)
    page.goto(f"/office/login/?next={quote(next_path)}")
    page.get_by_label("用户名", exact=True).fill(user.username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(at("/office/otp/verify/"))
    page.get_by_label("动态码", exact=True).fill(totp_code(device))
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page).to_have_url(at(next_path))
