"""Steps shared by the browser flows."""

import re
import shutil
import subprocess
import time

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


# --- 注册: the SMS code ---------------------------------------------------------------------------------------


def sms_code(outbox, mobile):
    """The code of the last SMS sent (the in-memory outbox of the tests), which went to `mobile`."""
    assert outbox, "no SMS was sent"
    message = outbox[-1]
    assert message.mobile == mobile
    return message.params["code"]


def send_code(page):
    """获取验证码: the page's script posts it and reports in the status line under the code field."""
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator(".send-status")).to_contain_text("验证码已发送")


def fill_registration(page, outbox, name, id_number, mobile, password):
    """新用户注册's form filled in: 姓名, 身份证号, 手机号, the captcha, 获取验证码 and the SMS code from the outbox, the
    password twice, 我已阅读并同意 (the caller presses 立即注册)."""
    page.get_by_label("姓名", exact=True).fill(name)
    page.get_by_label("身份证号", exact=True).fill(id_number)
    page.get_by_label("手机号", exact=True).fill(mobile)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    send_code(page)
    page.get_by_label("短信验证码", exact=True).fill(sms_code(outbox, mobile))
    page.get_by_label("设置密码", exact=True).fill(password)
    page.get_by_label("确认密码", exact=True).fill(password)
    page.get_by_role("checkbox", name="我已阅读并同意").check()


# --- 网络班报名 and 支付 --------------------------------------------------------------------------------------

RESULT_TIMEOUT_MS = 15_000


def class_card(page, title):
    """The card of the class `title` in 网络班报名 or 学员中心."""
    return page.locator(".class-card").filter(has=page.get_by_role("heading", name=title, exact=True))


def order_entry(page, number):
    """The order `number` in 我的订单's list."""
    return page.locator(".order-list > li").filter(has_text=number)


def pay(browsing, result, number, step):
    """立即支付 on 确认订单信息 → the 模拟银行 → `result` (支付成功 / 支付失败) → the order's result page."""
    page = browsing.page
    page.get_by_role("button", name="立即支付").click()
    expect(page).to_have_url(re.compile(r"/mockbank/[^/]+/$"))
    page.get_by_role("button", name=result).click()
    expect(page).to_have_url(at(f"/orders/{number}/result/"))
    if result == "支付成功":
        expect(page.get_by_role("heading", name="支付成功，班级已开通")).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    else:
        expect(page.get_by_role("heading", name="支付未成功")).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    browsing.snap(step)


# --- 在线学习: a course with a real video, and the player ---------------------------------------------------

BEAT_URL = "/learning/heartbeat/"


def add_course(training_class, title, category, hours, video, duration, chapter="第一章 概述", courseware="1.1 导学"):
    """A course of the class with one chapter and one courseware. `video` is a file to save into the courseware's
    FileField, or the name of a video already in storage (to share it)."""
    from decimal import Decimal

    from django.core.files import File

    from jxjy.catalog.models import Chapter, Course, Courseware

    course = Course.objects.create(title=title, category=category, hours=Decimal(hours))
    training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title=chapter)
    courseware = Courseware(chapter=chapter, title=courseware, duration=duration)
    if isinstance(video, str):
        courseware.video.name = video
    else:
        with open(video, "rb") as handle:
            courseware.video.save(video.name, File(handle), save=False)
    courseware.save()
    return course, courseware


class Heartbeats:
    """Counts the player's heartbeat requests, to wait until every one sent has been answered."""

    def __init__(self, page):
        self.page = page
        self.sent = self.done = 0
        page.on("request", lambda request: self._count(request, "sent"))
        page.on("requestfinished", lambda request: self._count(request, "done"))
        page.on("requestfailed", lambda request: self._count(request, "done"))

    def _count(self, request, field):
        if BEAT_URL in request.url:
            setattr(self, field, getattr(self, field) + 1)

    def settle(self, timeout=10.0):
        """Wait until no heartbeat is in flight for half a second."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            if self.sent == self.done:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= 0.5:
                    return
            else:
                quiet_since = None
        raise AssertionError(f"heartbeats still in flight: {self.sent} sent, {self.done} answered")


def wait_until(check, timeout, message):
    """Poll `check` (a database read, say) until it is true, for up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(message)


def play(page):
    """Start the player's video, muted (so headless Chromium allows it)."""
    page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")


def current_time(page):
    return page.evaluate("() => document.getElementById('video').currentTime")


def end_the_session(page):
    """A real sign-out on the server: the browser's session is deleted from the session store."""
    from importlib import import_module

    from django.conf import settings

    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    assert store.exists(key)
    store.delete(key)
    assert not store.exists(key)


def place_checkpoint(enrollment, courseware, question, position, *, answered=False):
    """The courseware's pop-up question at `position` seconds, placed before the first 播放 (the server would draw
    one to three of them anywhere from 15 % to 85 % of the video, and draws none once one is there)."""
    from django.utils import timezone

    from jxjy.learning.models import Checkpoint, CoursewareProgress

    progress, _ = CoursewareProgress.objects.get_or_create(enrollment=enrollment, courseware=courseware)
    return Checkpoint.objects.create(
        progress=progress, position=position, question=question, answered_at=timezone.now() if answered else None
    )
