"""练习, 考试 and the certificate in a real browser, on a phone and on a desktop screen (issue 5's flow): from a
class at 100 %, 在线练习 of 10 questions with 显示答案 chosen before 开始, one more where a single question's
显示答案 asks the server, then 在线考试 → answers saved as given (a reload keeps them) → while the paper is open
做练习 says why it is closed → 我要交卷 → the confirmation → 合格; 培训证明 shows the class; 继续教育档案 → 打印证书
downloads a PDF whose text pdftotext extracts; the QR code's page confirms the certificate and a tampered token is
rejected. The practice part again on a 360-px phone in 大字模式 (issue 12, item 5)."""

import re

import pytest
from playwright.sync_api import expect

from jxjy.exams.tests.conftest import enroll

from .conftest import DEFAULT_TIMEOUT_MS, Browsing
from .steps import at, log_in
from .test_certificates_flow import print_and_verify

pytestmark = pytest.mark.browser


@pytest.fixture
def ready(alice):
    from conftest import make_catalog

    return enroll(alice, make_catalog()[(2026, "L4")])


def no_tour(page):
    """The 新手引导 has its own test; here it is marked as seen."""
    page.add_init_script("localStorage.setItem('jxjy-tour-seen', '1')")


def practise(browsing, enrollment, prefix="exam"):
    page = browsing.page
    page.get_by_role("link", name="在线练习", exact=True).click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/practice/"))
    browsing.snap(f"{prefix}-02-practice")
    page.get_by_label("10 题", exact=True).check()
    page.get_by_label("显示答案（每题下方直接显示正确答案和解析）").check()  # chosen before 开始
    page.get_by_role("button", name="开始", exact=True).click()
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(10)
    answers = page.locator("fieldset.question .answer-box")
    expect(answers).to_have_count(10)
    expect(answers.first).to_be_visible()
    expect(answers.first).to_contain_text("解析：SECRET-EXPLANATION")
    browsing.snap(f"{prefix}-03-practice-answers-shown")
    for index in range(10):
        right = re.search(r"正确答案：([A-D]+)", answers.nth(index).inner_text()).group(1)
        for letter in right:
            questions.nth(index).locator(f"input[value='{letter}']").check()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".result-box")).to_contain_text("本次练习 100 分")
    browsing.snap(f"{prefix}-04-practice-result")
    page.get_by_role("link", name="返回", exact=True).click()
    expect(page.get_by_role("cell", name="100 分（答对 10 题）")).to_be_visible()  # 历史练习


def ask_for_one_answer(browsing, enrollment, prefix="exam"):
    """Without 显示答案 chosen, the page has no answer; 显示答案 under one question fetches that one alone."""
    from jxjy.exams.models import Practice

    page = browsing.page
    page.get_by_label("10 题", exact=True).check()
    page.get_by_role("button", name="开始", exact=True).click()
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(10)
    assert "SECRET-EXPLANATION" not in page.content() and "正确答案" not in page.content()
    questions.nth(1).locator("input").first.check()  # an answer given before asking: kept
    questions.nth(2).get_by_role("button", name="显示第 3 题的答案").click()
    expect(questions.nth(2).locator(".answer-box")).to_contain_text("正确答案：")
    expect(page.locator(".answer-box")).to_have_count(1)
    expect(questions.nth(1).locator("input").first).to_be_checked()
    browsing.snap(f"{prefix}-04b-practice-one-answer")
    practice = Practice.objects.filter(enrollment=enrollment).first()
    assert practice.revealed == [practice.questions[2]] and practice.submitted_at is None
    page.get_by_role("link", name="返回", exact=True).click()


def practice_is_closed_during_the_exam(browsing, enrollment, prefix="exam"):
    """While the paper is open, 在线练习 → 做练习 says why it is closed, and leads back to the paper."""
    page = browsing.page
    paper = page.url
    page.goto(f"/study/{enrollment.pk}/practice/")
    closed = page.locator("#practice-closed")
    expect(closed).to_contain_text("您正在参加")
    expect(closed).to_contain_text("考试期间不能做练习")
    expect(page.get_by_role("button", name="开始", exact=True)).to_have_count(0)
    browsing.snap(f"{prefix}-06b-practice-closed")
    closed.get_by_role("link", name="返回考试").click()
    expect(page).to_have_url(paper)


def sit_the_exam(browsing, enrollment):
    from jxjy.exams import services
    from jxjy.exams.models import ExamAttempt

    page = browsing.page
    page.get_by_role("link", name="在线考试", exact=True).click()
    browsing.snap("exam-05-exam-list")
    page.get_by_role("button", name="进入", exact=True).click()
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^(29|30):\d\d$"))
    attempt = ExamAttempt.objects.get(enrollment=enrollment)
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(20)
    status = page.locator("[data-save-status]")
    # The test knows the right answers from the database; the page does not carry them.
    from jxjy.catalog.models import Question

    bank = Question.objects.in_bulk([e["q"] for e in attempt.paper])
    for index, entry in enumerate(attempt.paper[:15]):  # 15 of 20 right: 75 分
        for letter in services.to_shown(entry, bank[entry["q"]].answer):
            questions.nth(index).locator(f"input[value='{letter}']").check()
        expect(status).to_contain_text("已保存")
        if index == 7:
            browsing.snap("exam-06-paper")
            page.reload()  # a crash, a lost connection: nothing is lost
            expect(page.locator("input:checked")).to_have_count(
                sum(len(bank[e["q"]].answer) for e in attempt.paper[:8])
            )
            practice_is_closed_during_the_exam(browsing, enrollment)
    page.get_by_role("button", name="我要交卷", exact=True).click()
    expect(page.locator(".notice-box")).to_contain_text("还有 5 题未作答：第 16、17、18、19、20 题")
    browsing.snap("exam-07-confirm")
    page.get_by_role("button", name="确认交卷", exact=True).click()
    expect(page.locator(".result-box")).to_contain_text("成绩 75 分")
    expect(page.locator(".result-box")).to_contain_text("合格")
    browsing.snap("exam-08-result")


def test_practice_pass_the_exam_and_print_the_certificate(browsing, stranger, ready):
    page = browsing.page
    no_tour(page)
    log_in(browsing, ready.user, "exam-01-login")
    page.goto(f"/study/{ready.pk}/")
    practise(browsing, ready)
    ask_for_one_answer(browsing, ready)
    sit_the_exam(browsing, ready)
    page.get_by_role("link", name="查看历史考试记录").click()
    expect(page.get_by_role("cell", name="第 1 次")).to_be_visible()
    browsing.snap("exam-09-history")
    page.goto("/center/")
    print_and_verify(browsing, stranger, ready, best=75)


@pytest.fixture
def small_phone(browser, live_server):
    """A 360-px phone (the narrowest the platform supports), with the same console checks as `browsing`."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True,
        has_touch=True, device_scale_factor=2,
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    browsing = Browsing(page, "phone", live_server.url)
    browsing.viewport, browsing.width = "phone360", 360
    yield browsing
    context.close()
    assert not errors, f"errors in the browser console: {errors}"


def test_practice_with_answers_on_a_360_px_phone_in_large_text(small_phone, ready):
    from jxjy.exams.models import ExamAttempt

    browsing, page = small_phone, small_phone.page
    no_tour(page)
    log_in(browsing, ready.user, "practice-01-login")
    page.goto(f"/study/{ready.pk}/")
    page.get_by_role("button", name="大字模式").click()  # larger text, higher contrast
    expect(page.get_by_role("button", name="标准模式")).to_be_visible()
    practise(browsing, ready, prefix="practice")
    ask_for_one_answer(browsing, ready, prefix="practice")
    page.get_by_role("link", name="在线考试", exact=True).click()
    page.get_by_role("button", name="进入", exact=True).click()
    expect(page.locator("[data-countdown]")).to_be_visible()
    attempt = ExamAttempt.objects.get(enrollment=ready)
    expect(page).to_have_url(at(f"/study/{ready.pk}/exam/{attempt.pk}/"))
    practice_is_closed_during_the_exam(browsing, ready, prefix="practice")
    # The practice begun before the exam shows nothing of itself meanwhile: why, and the way back.
    page.goto(f"/study/{ready.pk}/practice/")
    page.locator("table").get_by_role("link", name="继续", exact=True).first.click()
    expect(page).to_have_url(at(f"/study/{ready.pk}/practice/"))
    expect(page.locator(".messages")).to_contain_text("您正在考试，交卷后才能做练习、查看答案。")
    assert "SECRET-EXPLANATION" not in page.content()
    browsing.snap("practice-07-practice-during-exam")
    page.locator("#practice-closed").get_by_role("link", name="返回考试").click()
    expect(page.locator("fieldset.question")).to_have_count(20)
