"""个人信息 in a real browser: a learner (on a 360-px phone in 大字模式, and on a desktop) opens 账号设置 → 个人信息,
downloads their personal information (password again) and asks for 注销; the 南京 city office completes it in
学员管理 → 注销申请 on a desktop; the learner's open session has ended and the account can no longer sign in.

Screenshots: test-artifacts/screenshots/<viewport>-privacy-*.png (the office's as desktop-privacy-office-*.png);
no page may scroll sideways."""

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from jxjy.accounts.models import ClosureRequest, ClosureState, User
from jxjy.audit.models import AuditRecord, Event
from jxjy.office.tests.privacy_data import full_history

from .conftest import DEFAULT_TIMEOUT_MS, Browsing
from .steps import CAPTCHA, PASSWORD, at, log_in, staff_log_in

pytestmark = pytest.mark.browser

PHONE_360 = {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
LEARNER_SCREENS = {"phone360-large": PHONE_360, "desktop": DESKTOP}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class Screen:
    """A browser context of its own (one person's browser), its page checked like the harness's `browsing`."""

    def __init__(self, browser, live_server, name, options):
        self.context = browser.new_context(base_url=live_server.url, locale="zh-CN", accept_downloads=True, **options)
        page = self.context.new_page()
        page.set_default_timeout(DEFAULT_TIMEOUT_MS)
        self.errors = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.browsing = Browsing(page, "desktop", live_server.url)
        self.browsing.viewport, self.browsing.width = name, options["viewport"]["width"]
        self.page = page

    def close(self):
        self.context.close()
        assert not self.errors, f"errors in the browser console: {self.errors}"


@pytest.fixture(params=list(LEARNER_SCREENS))
def learner_screen(request, browser, live_server):
    screen = Screen(browser, live_server, request.param, LEARNER_SCREENS[request.param])
    yield screen
    screen.close()


@pytest.fixture
def office_screen(browser, live_server):
    screen = Screen(browser, live_server, "desktop", DESKTOP)
    yield screen
    screen.close()


def open_settings_menu(page, name):
    """账号设置 from the "Hi~,<name>" menu: tapped on a touch screen, pointed at with a mouse."""
    summary = page.get_by_text(f"Hi~,{name}", exact=True)
    if page.evaluate("matchMedia('(hover: hover)').matches"):
        summary.hover()
    else:
        summary.click()
    expect(page.locator("details.user-menu")).to_have_attribute("open", "")
    page.locator("details.user-menu").get_by_role("link", name="账号设置").click()


def test_download_ask_for_closure_and_the_city_office_completes_it(
    learner_screen, office_screen, alice, bob, catalog, nanjing_reviewer, outbox
):
    full_history(alice, catalog, waiting_learner=bob)
    id_number = alice.id_number
    browsing, page = learner_screen.browsing, learner_screen.page
    large = learner_screen.browsing.viewport.startswith("phone")

    # --- The learner: 大字模式 on the phone, sign in, 账号设置 → 个人信息 ---
    if large:
        page.goto("/")
        page.get_by_role("button", name="大字模式").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\ba11y\b"))
    page.goto("/privacy/")  # the data inventory: what is collected, for what
    expect(page.locator("#data-inventory")).to_contain_text("身份证号")
    browsing.snap("privacy-00-inventory")
    log_in(browsing, alice, "privacy-01-login")
    open_settings_menu(page, alice.name)
    page.get_by_role("navigation", name="账号设置").get_by_role("link", name="个人信息").click()
    expect(page).to_have_url(at("/account/settings/privacy/"))
    body = page.locator("main")
    expect(body).to_contain_text(alice.id_number_masked)
    expect(body).not_to_contain_text(id_number)
    browsing.snap("privacy-02-page")

    # 下载我的个人信息: the password again, then a ZIP with a readable JSON and the avatar.
    page.get_by_label("登录密码", exact=True).fill(PASSWORD)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载我的个人信息").click()
    download = download_info.value
    assert download.suggested_filename.startswith("我的个人信息-") and download.suggested_filename.endswith(".zip")
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    data = json.loads(archive.read("my-personal-data.json").decode("utf-8-sig"))
    assert data["账号信息"]["身份证号"] == id_number and data["学时记录"] and data["订单"]
    assert "avatar.jpg" in archive.namelist()
    assert id_number not in page.url

    # 申请注销账号: the page says what goes, what the law keeps, and who completes it.
    page.get_by_role("link", name="申请注销账号").click()
    expect(page).to_have_url(at("/account/settings/closure/"))
    for words in ("注销后删除的信息", "依法保留的记录", "学时记录", "南京市"):
        expect(page.locator("main")).to_contain_text(words)
    browsing.snap("privacy-03-closure-form")
    page.get_by_label("注销原因（选填）").fill("已退休")
    page.get_by_label("登录密码", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile("我已了解")).check()
    page.get_by_role("button", name="申请注销账号").click()
    expect(page).to_have_url(at("/account/settings/privacy/"))
    expect(page.get_by_role("heading", name="注销申请待办理")).to_be_visible()
    expect(page.get_by_role("button", name="撤回注销申请")).to_be_visible()
    browsing.snap("privacy-04-pending")
    assert [m.mobile for m in outbox][-1:] == [alice.mobile]  # a notice to the learner's own phone

    # --- The 南京 city office, on a desktop: 学员管理 → 注销申请 → 办理注销 ---
    office = office_screen.page
    staff_log_in(office, nanjing_reviewer, "/office/learners/closures/")
    expect(office.locator("main")).to_contain_text(alice.id_number_masked)
    office_screen.browsing.snap("privacy-office-01-list")
    office.get_by_role("link", name="办理", exact=True).click()
    expect(office.get_by_role("heading", name=f"注销申请 · {alice.name}")).to_be_visible()
    expect(office.locator("main")).to_contain_text("已退休")
    office_screen.browsing.snap("privacy-office-02-request")
    # 学员详情 shows masked numbers; 查看完整号码 needs a reason and is audited.
    office.get_by_role("link", name="学员详情").click()
    expect(office.locator("main")).to_contain_text("去办理注销")
    expect(office.locator("main")).not_to_contain_text(id_number)
    office.get_by_label("查看原因").select_option(label="核实学员身份")
    office_screen.browsing.snap("privacy-office-03-detail")
    office.get_by_role("button", name="查看完整号码").click()
    expect(office.locator("main")).to_contain_text(id_number)
    office_screen.browsing.snap("privacy-office-04-revealed")
    assert AuditRecord.objects.filter(event=Event.PI_REVEAL, actor=nanjing_reviewer).count() == 1
    office.get_by_role("link", name="返回学员详情").click()
    office.get_by_role("link", name="去办理注销").click()
    office.get_by_label(re.compile("我已了解")).check()
    office.get_by_role("button", name="办理注销").click()
    expect(office.locator(".messages")).to_contain_text("已办理注销")
    office_screen.browsing.snap("privacy-office-05-done")

    closure = ClosureRequest.objects.get(user=alice)
    assert closure.state == ClosureState.DONE and closure.handled_by == nanjing_reviewer
    assert User.objects.get(pk=alice.pk).name == "已注销学员"
    assert AuditRecord.objects.filter(event=Event.CLOSURE_COMPLETE, actor=nanjing_reviewer).count() == 1

    # --- The learner: the open session has ended, and signing in again fails ---
    page.goto("/account/settings/privacy/")
    expect(page).to_have_url(at("/login/"))
    page.get_by_label("身份证号", exact=True).fill(id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("main")).to_contain_text("身份证号或密码错误")
    browsing.snap("privacy-05-cannot-sign-in")
