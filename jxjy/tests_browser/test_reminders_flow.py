"""学习提醒 in a real browser, on a phone and a desktop, in the normal and the 大字模式 (issue 16 item 5).

南京市工考办 opens 学习提醒 from the back-office menu, picks 进度低于 50%, sees the count (one learner: 49 %, 20 days
left; a 51 % colleague is not counted) and the exact text with the learner's name, and sends. The learner's SMS is in
the outbox; signed in, the learner sees 1 条未读 in 学员中心 and in the Hi~ menu, opens 站内消息, reads it, and the
count is gone. Every page: no sideways scroll, targets ≥ 44 px, in 大字模式 no text under 18 px."""

import pytest
from playwright.sync_api import expect

from jxjy.accounts.models import Message
from jxjy.office import reminders
from jxjy.office.tests.test_reminders import enrol, learner

from .conftest import browsing_in, large_text_on
from .measures import check
from .steps import at, log_in, staff_log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "a11y"])
def test_office_sends_a_reminder_and_the_learner_reads_it(
    browser, viewport, live_server, large_text, catalog, nanjing_reviewer, outbox
):
    from datetime import timedelta

    from django.utils import timezone

    due = catalog[(2026, "L4")]
    due.study_deadline = timezone.now() + timedelta(days=20)
    due.public_hours, due.professional_hours, due.elective_hours = 40, 40, 20
    due.save()
    slow, ahead = learner(), learner()
    enrol(slow, due, 49)
    enrol(ahead, due, 51)

    with browsing_in(browser, viewport, live_server, large_text=large_text) as browsing:
        page = browsing.page
        mode = "a11y" if large_text else "normal"

        staff_log_in(page, nanjing_reviewer, "/office/")
        page.get_by_role("navigation", name="业务后台菜单").get_by_role("link", name="学习提醒").click()
        expect(page).to_have_url(at("/office/reminders/"))
        page.get_by_label(reminders.RULES["behind"].label).check()
        page.get_by_role("button", name="预览").click()
        expect(page.locator("[data-count]")).to_have_text("1")
        text = reminders.SIGNATURE + reminders.render_text(reminders.RULES["behind"], slow.name)
        expect(page.locator("[data-text]")).to_have_text(text)
        expect(page.locator("body")).not_to_contain_text(slow.mobile)
        browsing.snap(f"reminders-{mode}-01-preview")
        page.get_by_role("button", name="确认发送给 1 人").click()
        expect(page.get_by_role("status")).to_contain_text("提醒已安排发送")
        assert [(m.mobile, m.text) for m in outbox] == [(slow.mobile, text)]

        page.context.clear_cookies()
        if large_text:
            large_text_on(page.context, live_server)
        log_in(browsing, slow, f"reminders-{mode}-02-login")
        expect(page.locator(".center-messages [data-unread]")).to_have_text("1 条未读")
        check(browsing, f"reminders-{mode}-03-center", large_text)
        page.locator(".user-menu summary").click()
        expect(page.locator(".user-menu [data-unread]")).to_have_text("1 条未读")
        page.locator(".center-messages").get_by_role("link", name="站内消息").click()
        expect(page).to_have_url(at("/account/messages/"))
        check(browsing, f"reminders-{mode}-04-list", large_text)
        page.get_by_role("link", name=reminders.RULES["behind"].title).click()
        expect(page.locator(".message-body")).to_have_text(reminders.render_text(reminders.RULES["behind"], slow.name))
        check(browsing, f"reminders-{mode}-05-message", large_text)
        assert Message.objects.get(learner=slow).read_at is not None
        page.goto("/center/")
        expect(page.locator(".center-messages")).to_contain_text("没有未读消息")
        expect(page.locator(".user-menu [data-unread]")).to_have_count(0)
