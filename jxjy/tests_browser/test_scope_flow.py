"""所属地市 and staff accounts in a real browser (issue 12 items 1 and 12).

A learner whose claim is with the 南京 office opens 账号设置 (on the phone in 大字模式): 所属地市 is shown but cannot be
changed, with where to go instead. The 南京 office moves her to 苏州 in 学员管理 with a note; she sees 苏州 at once.
The 系统管理员 changes a staff member's role on a desktop-sized page and the 安全管理员 signs that member out.
Screenshots: test-artifacts/screenshots/<viewport>-scope-*.png."""

import re

import pytest
from playwright.sync_api import expect

from conftest import make_staff, staff_client
from jxjy.accounts.models import Role

from .steps import log_in, staff_log_in

pytestmark = pytest.mark.browser


def test_the_city_office_moves_a_learner_whose_city_is_locked(browsing, browser, live_server, alice, nanjing_reviewer):
    alice.lock_city()
    page = browsing.page
    if browsing.viewport == "phone":
        page.goto("/")
        page.get_by_role("button", name="大字模式").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\ba11y\b"))
    log_in(browsing, alice, "scope-01-login")
    page.goto("/account/settings/")
    city = page.get_by_label("所属地市")
    expect(city).to_be_disabled()
    expect(page.locator("body")).to_contain_text("所属地市已由工考办登记，如需更改，请到所在市工考办办理。")
    browsing.snap("scope-02-settings-city-locked")

    office = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 900})
    desk = office.new_page()
    staff_log_in(desk, nanjing_reviewer, f"/office/learners/{alice.pk}/")
    form = desk.locator("form", has=desk.get_by_role("button", name="保存修改"))
    form.get_by_label("所属地市").select_option(label="苏州市")
    form.get_by_label("办理说明").fill("工作调动到苏州，凭调动通知办理")
    form.get_by_role("button", name="保存修改").click()
    expect(desk.locator("body")).to_contain_text(f"已将{alice.name}转到苏州市")
    office.close()

    page.reload()
    expect(page.get_by_label("所属地市")).to_have_value("320500")
    browsing.snap("scope-03-settings-after-move")


def test_system_admin_edits_and_security_admin_signs_out(browsing, finance_user):
    if browsing.viewport == "phone":
        pytest.skip("the back office's staff pages are for desktop use; the phone run is the learner's above")
    sysadmin, secadmin = make_staff("sys", Role.SYSTEM), make_staff("sec", Role.SECURITY)
    victim = staff_client(finance_user)
    page = browsing.page
    staff_log_in(page, sysadmin, "/office/staff/")
    browsing.snap("scope-04-staff-list")
    page.get_by_role("row", name=re.compile(finance_user.username)).get_by_role("link", name="修改").click()
    page.get_by_label("角色").select_option(label="课程管理员")
    browsing.snap("scope-05-staff-edit")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("body")).to_contain_text(f"已保存 {finance_user.display_name} 的账号")
    finance_user.refresh_from_db()
    assert finance_user.role == Role.CONTENT
    assert victim.get("/office/").status_code == 302  # the change signed the account out

    victim = staff_client(finance_user)
    page.context.clear_cookies()
    staff_log_in(page, secadmin, "/office/staff/")
    page.get_by_role("row", name=re.compile(finance_user.username)).get_by_role("button", name="强制下线").click()
    expect(page.locator("body")).to_contain_text("已被强制下线")
    browsing.snap("scope-06-signed-out")
    assert victim.get("/office/").status_code == 302
