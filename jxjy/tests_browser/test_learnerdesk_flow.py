"""学员管理 in a real browser, on a phone and a desktop: the 南京 city office signs in, searches alice by her full ID
number (a POST: the number never appears in the address bar), opens her detail (masked numbers only) and sends a
password reset; alice's phone gets the code, the office's page never shows it. Pages are screenshotted to
test-artifacts/screenshots/<viewport>-learnerdesk-*.png and must not scroll sideways."""

import pytest
from playwright.sync_api import expect

from jxjy.audit.models import AuditRecord, Event

from .steps import staff_log_in

pytestmark = pytest.mark.browser


def test_search_open_and_reset(browsing, alice, bob, nanjing_reviewer, outbox):
    page = browsing.page
    staff_log_in(page, nanjing_reviewer)
    page.get_by_role("navigation", name="业务后台菜单").get_by_role("link", name="学员管理").click()
    browsing.snap("learnerdesk-01-search")
    page.get_by_label("身份证号").fill(alice.id_number)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.get_by_role("heading", name="查询结果（共 1 人）")).to_be_visible()
    assert alice.id_number not in page.url and alice.id_number[-4:] not in page.url
    results = page.locator("table")
    expect(results).to_contain_text(alice.id_number_masked)
    expect(results).not_to_contain_text(alice.id_number)
    browsing.snap("learnerdesk-02-results")

    page.get_by_role("link", name="查看").click()
    expect(page.get_by_role("heading", name=f"学员详情 · {alice.name}")).to_be_visible()
    expect(page.locator("body")).to_contain_text(alice.mobile_masked)
    expect(page.locator("body")).not_to_contain_text(alice.mobile)
    browsing.snap("learnerdesk-03-detail")

    page.get_by_role("button", name="重置密码").click()
    expect(page.locator("body")).to_contain_text(f"已向学员手机 {alice.mobile_masked} 发送重置验证码")
    browsing.snap("learnerdesk-04-reset-sent")
    assert [m.mobile for m in outbox] == [alice.mobile]
    expect(page.locator("body")).not_to_contain_text(outbox[0].params["code"])
    assert AuditRecord.objects.filter(event=Event.LEARNER_RESET, actor=nanjing_reviewer).exists()
    assert AuditRecord.objects.filter(event=Event.LEARNER_VIEW, actor=nanjing_reviewer).exists()
