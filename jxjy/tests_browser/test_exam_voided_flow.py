"""成绩作废 as the learner sees it, on a phone (大字模式 too) and a desktop: an office confirmed a 学习异常 and voided
the pass; 历史考试记录 says 成绩作废 with the old score, the paper says why and offers the exam again (attempts
remain); 进入 starts the second attempt."""

import pytest
from playwright.sync_api import expect

from jxjy.exams import services
from jxjy.exams.tests.conftest import enroll
from jxjy.exams.voiding import void_attempt

from .conftest import browsing_in
from .measures import check
from .steps import at, log_in

pytestmark = pytest.mark.browser


def voided_pass(alice, reviewer):
    from conftest import make_catalog
    from jxjy.catalog.models import Question

    enrollment = enroll(alice, make_catalog()[(2026, "L4")])
    attempt = services.start_attempt(enrollment=enrollment)
    for entry in attempt.paper:
        right = Question.objects.get(pk=entry["q"]).answer
        services.save_answer(attempt=attempt, question_id=entry["q"], shown=services.to_shown(entry, right))
    attempt = services.submit_attempt(attempt=attempt)
    assert attempt.passed
    void_attempt(attempt, actor=reviewer, reason="学习异常确认违规")
    return enrollment, attempt


@pytest.mark.parametrize(("viewport", "large"), [("phone", False), ("phone", True), ("desktop", False)])
def test_a_voided_pass_reads_plainly_and_the_exam_opens_again(
    browser, live_server, alice, nanjing_reviewer, viewport, large
):
    enrollment, attempt = voided_pass(alice, nanjing_reviewer)
    prefix = f"voided{'-large' if large else ''}"
    with browsing_in(browser, viewport, live_server, large_text=large, options={"bypass_csp": True}) as browsing:
        page = browsing.page
        page.add_init_script("localStorage.setItem('jxjy-tour-seen', '1')")
        log_in(browsing, alice, f"{prefix}-01-login")
        page.goto(f"/study/{enrollment.pk}/exam/history/")
        row = page.get_by_role("row").filter(has_text="第 1 次")
        expect(row).to_contain_text("成绩作废")
        expect(row).to_contain_text("原 100 分，不计入成绩")
        expect(row).not_to_contain_text("合格")
        check(browsing, f"{prefix}-02-history", large, axe=True)
        row.get_by_role("link", name="查看试卷").click()
        expect(page).to_have_url(at(f"/study/{enrollment.pk}/exam/{attempt.pk}/"))
        box = page.locator(".result-box")
        expect(box).to_contain_text("成绩作废")
        expect(box).to_contain_text("本次考试经所在地市工考办核查，成绩作废，不计入考试成绩（原 100 分）")
        expect(box).not_to_contain_text("去继续教育档案打印证书")
        check(browsing, f"{prefix}-03-review", large, axe=True)
        box.get_by_role("button", name="进入").click()
        expect(page.get_by_role("button", name="我要交卷")).to_be_visible()
        assert page.url.rstrip("/").rsplit("/", 1)[-1] != str(attempt.pk)  # a new paper: the second attempt
