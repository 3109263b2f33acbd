"""学员管理 in a real browser, on a phone and a desktop: the 南京 city office signs in, searches alice by her full ID
number (a POST: the number never appears in the address bar), opens her detail (masked numbers only) and sends a
password reset; alice's phone gets the code, the office's page never shows it. Pages are screenshotted to
test-artifacts/screenshots/<viewport>-learners-*.png and must not scroll sideways."""

import pytest
from playwright.sync_api import expect

from jxjy.audit.models import AuditRecord, Event

from .steps import staff_log_in

pytestmark = pytest.mark.browser


def test_search_open_and_reset(browsing, alice, bob, nanjing_reviewer, outbox):
    page = browsing.page
    staff_log_in(page, nanjing_reviewer)
    page.get_by_role("navigation", name="业务后台菜单").get_by_role("link", name="学员管理").click()
    browsing.snap("learners-01-search")
    page.get_by_label("身份证号").fill(alice.id_number)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.get_by_role("heading", name="查询结果（共 1 人）")).to_be_visible()
    assert alice.id_number not in page.url and alice.id_number[-4:] not in page.url
    results = page.locator("table")
    expect(results).to_contain_text(alice.id_number_masked)
    expect(results).not_to_contain_text(alice.id_number)
    browsing.snap("learners-02-results")

    page.get_by_role("link", name="查看").click()
    expect(page.get_by_role("heading", name=f"学员详情 · {alice.name}")).to_be_visible()
    expect(page.locator("body")).to_contain_text(alice.mobile_masked)
    expect(page.locator("body")).not_to_contain_text(alice.mobile)
    browsing.snap("learners-03-detail")

    page.get_by_role("button", name="重置密码").click()
    expect(page.locator("body")).to_contain_text(f"已向学员手机 {alice.mobile_masked} 发送重置验证码")
    browsing.snap("learners-04-reset-sent")
    assert [m.mobile for m in outbox] == [alice.mobile]
    expect(page.locator("body")).not_to_contain_text(outbox[0].params["code"])
    assert AuditRecord.objects.filter(event=Event.LEARNER_RESET, actor=nanjing_reviewer).exists()
    assert AuditRecord.objects.filter(event=Event.LEARNER_VIEW, actor=nanjing_reviewer).exists()


# --- 更换绑定手机 (issue 12 item 4) ----------------------------------------------------------------------------

NEW_MOBILE = "13700005555"


def narrow_phone(browsing):
    """The phone run uses a 360-px-wide screen, the narrowest common Android width."""
    if browsing.viewport == "phone":
        browsing.page.set_viewport_size({"width": 360, "height": 780})
        browsing.width = 360


def test_change_mobile_at_the_desk(browsing, alice, nanjing_reviewer, outbox):
    """The 南京 office, with alice at the desk: what was checked, the new mobile, the code alice reads out, 确认更换.
    On the phone the whole form is filled in 大字模式 at 360 px."""
    from jxjy.accounts.models import User

    page = browsing.page
    narrow_phone(browsing)
    staff_log_in(page, nanjing_reviewer, f"/office/learners/{alice.pk}/")
    expect(page.get_by_role("heading", name=f"学员详情 · {alice.name}")).to_be_visible()
    page.get_by_role("link", name="更换绑定手机").click()
    expect(page.get_by_role("heading", name=f"更换绑定手机 · {alice.name}")).to_be_visible()
    if browsing.viewport == "phone":
        page.get_by_role("button", name="大字模式").click()
        expect(page.get_by_role("button", name="标准模式")).to_be_visible()
    browsing.snap("learners-05-change-mobile")

    note = "本人持身份证原件到场，原手机号被同事绑定"
    page.get_by_label("本人持身份证原件到场核验").check()
    page.get_by_label("核验说明").fill(note)
    page.get_by_label("新手机号").fill(NEW_MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator(".messages")).to_contain_text("验证码已发送至 137****5555")
    expect(page.get_by_label("核验说明")).to_have_value(note)  # what was typed stays
    expect(page.get_by_label("本人持身份证原件到场核验")).to_be_checked()
    code = outbox[-1].params["code"]
    assert outbox[-1].mobile == NEW_MOBILE and code not in page.content()
    browsing.snap("learners-06-code-sent")

    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="确认更换").click()
    expect(page.get_by_role("heading", name=f"学员详情 · {alice.name}")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("已为张伟更换绑定手机为 137****5555")
    expect(page.locator(".messages")).to_contain_text("找回密码")
    expect(page.locator(".learner-facts")).to_contain_text("137****5555")
    assert NEW_MOBILE not in page.content() and alice.mobile not in page.content()
    browsing.snap("learners-07-mobile-changed")
    if browsing.viewport == "desktop":
        page.get_by_role("button", name="大字模式").click()
        expect(page.get_by_role("button", name="标准模式")).to_be_visible()
        browsing.snap("learners-07b-large-text")

    alice = User.objects.get(pk=alice.pk)
    assert alice.mobile == NEW_MOBILE and not alice.has_usable_password()
    assert [m.mobile for m in outbox[-2:]] == ["13800138000", NEW_MOBILE]  # the old mobile is told
    assert AuditRecord.objects.filter(event=Event.MOBILE_REBIND, actor=nanjing_reviewer).exists()
