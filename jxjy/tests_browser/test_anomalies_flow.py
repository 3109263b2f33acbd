"""学习异常 in a real browser (issue 16 item 2): 南京市工考办 signs in (with the second factor), opens 学习异常 from the
back-office menu, opens alice's flag, reads the evidence (her playback sessions; a 苏州 learner on the same device
only as "苏州市的一名学员"), writes the 核查意见 and presses 确认违规, confirms on the next page, and sees the flag
decided. alice, signed in, finds the 冲销 row in 学习记录. On a desktop, and on a 360-px phone in 大字模式; every
page: no sideways scroll, targets ≥ 44 px, in 大字模式 no text under 18 px, no serious axe finding."""

import pytest
from playwright.sync_api import expect

from jxjy.review.models import Rule, Status
from jxjy.review.tests.helpers import SUMMARY, entry, flag, reversals

from .conftest import browsing_in, large_text_on
from .measures import check
from .steps import at, log_in, staff_log_in

pytestmark = pytest.mark.browser

NOTE = "核对播放记录：同一台手机上三人轮流登录挂课"


@pytest.mark.parametrize("viewport, large_text", [("desktop", False), ("phone", True)], ids=["desktop", "phone-a11y"])
def test_office_confirms_a_flag_and_the_learner_sees_the_reversal(
    browser, viewport, live_server, large_text, catalog, alice, bob, nanjing_reviewer
):
    flagged = entry(alice, 2, category="public")
    entry(alice, 6, category="public")  # her other hours stay
    evidence = {
        "同一设备学员数": 2,
        "sessions": [
            {"开始": "08:02", "结束": "09:40", "设备": "安卓手机 · 微信", "IP": "10.0.0.8", "计时": "98 分钟"},
            {"开始": "09:45", "结束": "10:31", "设备": "安卓手机 · 微信", "IP": "10.0.0.8", "计时": "46 分钟"},
        ],
        "learners": [{"user_id": bob.pk, "姓名": bob.name, "city_id": "320500", "计时": "2.1 学时"}],
    }
    anomaly = flag(alice, [flagged], rule=Rule.CROWDED, evidence=evidence)
    mode = "a11y" if large_text else "normal"

    with browsing_in(browser, viewport, live_server, large_text=large_text, options={"bypass_csp": True}) as browsing:
        page = browsing.page
        staff_log_in(page, nanjing_reviewer, "/office/")
        menu = page.get_by_role("navigation", name="业务后台菜单")
        menu.get_by_role("link", name="学习异常").click()
        expect(page).to_have_url(at("/office/anomalies/"))
        expect(page.get_by_role("link", name="待核查 1")).to_have_attribute("aria-current", "page")
        expect(page.locator("table")).to_contain_text(alice.id_number_masked)
        expect(page.locator("table")).to_contain_text(SUMMARY)
        check(browsing, f"anomalies-{mode}-01-list", large_text, axe=True)

        page.get_by_role("link", name="核查", exact=True).click()
        expect(page.get_by_role("heading", name=f"学习异常 · {alice.name}")).to_be_visible()
        evidence_card = page.locator(".anomaly-evidence")
        expect(evidence_card).to_contain_text("安卓手机 · 微信")
        expect(evidence_card).to_contain_text("08:02")
        expect(evidence_card).to_contain_text("苏州市的一名学员（不在本单位核查范围）")
        expect(evidence_card).not_to_contain_text(bob.name)
        expect(page.locator(".takeback-total")).to_contain_text("合计冲销 2 学时")
        check(browsing, f"anomalies-{mode}-02-detail", large_text, axe=True)

        page.get_by_label("核查意见").fill(NOTE)
        page.get_by_role("button", name="确认违规").click()
        expect(page.get_by_role("heading", name=f"确认违规 · {alice.name}")).to_be_visible()
        expect(page.locator(".anomaly-confirm")).to_contain_text(NOTE)
        check(browsing, f"anomalies-{mode}-03-confirm", large_text, axe=True)
        assert not reversals().exists()  # nothing until the second press

        page.get_by_role("button", name="确认违规，冲销 2 学时").click()
        expect(page.get_by_role("status")).to_contain_text("已确认违规：冲销 2 学时")
        expect(page.get_by_role("heading", name="已冲销的学时")).to_be_visible()
        check(browsing, f"anomalies-{mode}-04-decided", large_text)
        anomaly.refresh_from_db()
        assert anomaly.status == Status.CONFIRMED and anomaly.note == NOTE
        assert reversals(alice).get().hours == -2

        page.context.clear_cookies()
        if large_text:
            large_text_on(page.context, live_server)
        log_in(browsing, alice, f"anomalies-{mode}-05-login")
        page.goto("/records/?year=2026")
        reversal = page.locator(".record-item", has_text="学习异常核查确认违规")
        expect(reversal).to_contain_text("冲销")
        expect(reversal).to_contain_text("扣减 2 学时")
        check(browsing, f"anomalies-{mode}-06-records", large_text)
