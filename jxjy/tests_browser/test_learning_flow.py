"""在线学习 in a real browser, on a phone and on a desktop screen: 学员中心 → 进班 → 新手引导 → 班级首页,
在线选课, 在线学习 → the player, a pop-up question answered wrong then right, the courseware watched to the end
in real time, and the hours posted to the ledger.

The 公共课's courseware is a real 20-second H.264 MP4 made by `make_courseware_video`; Chromium plays it muted and
the player's heartbeats are judged by the live server, so a run takes about 20 s of playback per viewport. Every page
visited is screenshotted to test-artifacts/screenshots/<viewport>-<step>.png and must not scroll sideways.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from conftest import make_catalog

from .conftest import SCREENSHOTS
from .steps import Heartbeats, add_course, at, log_in, wait_until

pytestmark = pytest.mark.browser

CLASS_TITLE = "2026年度工勤人员继续教育网络班（中级工）"
PUBLIC = "公共机构节能管理"
PROFESSIONAL = "机关事务管理实务"
ELECTIVE = "健康生活与心理调适"
QUESTION = "公共机构开展节能工作的主要目的是什么？"
VIDEO_SECONDS = 20
QUIZ_TIMEOUT_MS = 30_000
ENDED_TIMEOUT_MS = 40_000


# --- Data -------------------------------------------------------------------------------------------


@pytest.fixture
def learning(alice, tmp_path):
    """alice with a paid 2026 中级工 class offering a 16-学时 公共课 (a 20 s video, one pop-up question),
    a 24-学时 专业课 and an 8-学时 选修课 (one short video between them)."""
    from jxjy.catalog.models import Category, Question
    from jxjy.catalog.video import make_courseware_video
    from jxjy.learning.models import Enrollment
    from jxjy.orders.services import place_order, transition

    classes = make_catalog()
    training_class = classes[(2026, "L4")]
    lesson, short = tmp_path / "lesson.mp4", tmp_path / "short.mp4"
    duration = make_courseware_video(
        lesson, title=PUBLIC, subtitle="第一章 节能基础", lines=["节约能源", "降低能耗"], seconds=VIDEO_SECONDS
    )
    short_duration = make_courseware_video(short, title="课程导学", subtitle="导学", lines=["导学"], seconds=4)

    public, courseware = add_course(
        training_class, PUBLIC, Category.PUBLIC, "16", lesson, duration, "第一章 节能基础", "1.1 节能概述"
    )
    Question.objects.create(course=public, kind="single", text=QUESTION, options=["降低能耗", "增加开支"], answer="A")
    _, shared = add_course(training_class, PROFESSIONAL, Category.PROFESSIONAL, "24", short, short_duration)
    add_course(training_class, ELECTIVE, Category.ELECTIVE, "8", shared.video.name, short_duration)

    order = place_order(user=alice, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    transition(order, "paid")
    # Last year's class too, so that 切换班级 has somewhere to go.
    earlier = place_order(user=alice, class_ids=[classes[(2025, "L4")].pk], invoice={"invoice_type": "none"})
    transition(earlier, "paid")
    enrollment = Enrollment.objects.get(user=alice, training_class=training_class)
    return {"user": alice, "enrollment": enrollment, "courseware": courseware}


# --- Steps ------------------------------------------------------------------------------------------


def enter_class(browsing, enrollment, step):
    """学员中心 → the class card → 进班 (always visible, on a desktop too: no hover-only action); the card's main
    button is the next step, 去选课 while nothing is chosen."""
    page = browsing.page
    card = page.locator(".class-card").filter(has=page.get_by_role("heading", name=CLASS_TITLE, exact=True))
    expect(card).to_have_count(1)
    expect(card).to_contain_text("学习进度 0%")
    expect(card.locator(".next-step-btn")).to_have_text("去选课")
    enter = card.get_by_role("link", name="进班")
    browsing.snap(step)
    expect(enter).to_have_css("opacity", "1")
    enter.click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/"))


def step_through_tour(browsing, step):
    """The 新手引导 opens by itself on the first visit: four steps, 下一步 … 我知道了, then it closes."""
    page = browsing.page
    tour = page.get_by_role("dialog", name="新手引导")
    expect(tour).to_be_visible()
    texts = [
        "第一步：这里是您的学习进度",
        "第二步：点“在线选课”",
        "第三步：在“在线学习”里点课程右侧的“播放”",
        "第四步：",
    ]
    for number, text in enumerate(texts, 1):
        expect(tour).to_contain_text(text)
        expect(page.locator(".tour-target")).to_have_count(1)
        if number == 1:
            # A full-page shot stretches the window, which moves the fixed box to the page's foot: first keep what
            # the screen really shows once the highlighted card has (smoothly) scrolled into view.
            page.wait_for_timeout(1000)
            page.screenshot(path=str(SCREENSHOTS / f"{browsing.viewport}-{step}-screen.png"))
            browsing.snap(step)
        last = number == len(texts)
        tour.get_by_role("button", name="我知道了" if last else "下一步", exact=True).click()
    expect(tour).to_be_hidden()
    expect(page.locator(".tour-target")).to_have_count(0)


def category(page, label):
    return page.locator(".category-progress > li").filter(has=page.locator("strong", has_text=label))


def tab(page, name):
    return page.get_by_role("navigation", name="班级").get_by_role("link", name=name, exact=True)


def select_courses(browsing, enrollment, step_before, step_after):
    page = browsing.page
    tab(page, "在线选课").click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/select/"))
    expect(page.get_by_role("heading", name="在线选课", exact=True)).to_be_visible()
    rows = page.locator(".check-row")
    public_box = rows.filter(has_text=PUBLIC).get_by_role("checkbox")
    expect(public_box).to_be_checked()
    expect(public_box).to_be_disabled()
    for title in (PROFESSIONAL, ELECTIVE):
        expect(rows.filter(has_text=title).get_by_role("checkbox")).not_to_be_checked()
    browsing.snap(step_before)
    for title in (PROFESSIONAL, ELECTIVE):
        rows.filter(has_text=title).get_by_role("checkbox").check()
    page.get_by_role("button", name="确认选中的课程").click()
    expect(page.locator(".messages")).to_contain_text("选课已保存")
    for title in (PUBLIC, PROFESSIONAL, ELECTIVE):
        expect(rows.filter(has_text=title).get_by_role("checkbox")).to_be_checked()
    browsing.snap(step_after)
    page.get_by_role("link", name="返回", exact=True).click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/"))


# --- The flow ---------------------------------------------------------------------------------------


def test_learn_a_course_with_a_pop_up_question(browsing, learning):
    from jxjy.credits.models import CreditEntry
    from jxjy.learning.models import Checkpoint, CoursewareProgress

    page = browsing.page
    enrollment = learning["enrollment"]
    courseware = learning["courseware"]
    beats = Heartbeats(page)

    log_in(browsing, learning["user"], "learn-01-login")
    enter_class(browsing, enrollment, "learn-02-center")

    # 班级首页, with the 新手引导 over it.
    step_through_tour(browsing, "learn-03-tour")
    expect(page.locator(".ring-label")).to_have_text("0%")
    expect(category(page, "公共课")).to_contain_text("0 / 16 学时")
    expect(category(page, "公共课").locator(".missing")).to_have_text("还差 16 学时")
    browsing.snap("learn-04-class-home")

    select_courses(browsing, enrollment, "learn-05-select", "learn-06-selected")

    # 在线学习 → 播放 the 公共课.
    tab(page, "在线学习").click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/courses/"))
    rows = page.locator(".course-list > li")
    expect(rows).to_have_count(3)
    row = rows.filter(has_text=PUBLIC)
    expect(row).to_contain_text("16 学时")
    browsing.snap("learn-07-courses")
    row.get_by_role("link", name="播放").click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/play/{courseware.pk}/"))
    status = page.locator("[data-status]")
    expect(status).to_have_text("点击播放开始学习。")
    browsing.snap("learn-08-player")

    # Play (muted, so headless Chromium allows it) until the server asks its question.
    page.locator("h1").click()
    page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    quiz = page.get_by_role("dialog", name="知识点练习")
    expect(quiz).to_be_visible(timeout=QUIZ_TIMEOUT_MS)
    beats.settle()  # the stop at the question is reported twice (timeupdate, pause): both replies carry it
    checkpoint = Checkpoint.objects.get(progress__enrollment=enrollment, progress__courseware=courseware)
    assert checkpoint.answered_at is None
    expect(quiz).to_contain_text(QUESTION)
    expect(quiz).to_contain_text("（单选）")
    assert page.evaluate("() => document.getElementById('video').paused")
    at_question = page.evaluate("() => document.getElementById('video').currentTime")
    assert at_question == pytest.approx(checkpoint.position, abs=1.5)
    expect(status).to_have_text("请先回答知识点题目，答对后继续学习。")
    browsing.snap("learn-09-question")

    quiz.get_by_role("radio", name="B. 增加开支").check()
    quiz.get_by_role("button", name="提交答案").click()
    expect(quiz.get_by_role("alert")).to_have_text("回答不正确，请再想一想。")
    expect(quiz).to_be_visible()
    assert page.evaluate("() => document.getElementById('video').paused")
    browsing.snap("learn-10-wrong-answer")

    quiz.get_by_role("radio", name="A. 降低能耗").check()
    quiz.get_by_role("button", name="提交答案").click()
    expect(quiz).to_be_hidden()
    page.wait_for_function("() => !document.getElementById('video').paused", timeout=5_000)
    page.wait_for_function(f"() => document.getElementById('video').currentTime > {at_question + 0.5}")

    page.wait_for_function("() => document.getElementById('video').ended", timeout=ENDED_TIMEOUT_MS, polling=250)
    beats.settle()
    expect(page.locator("[data-watched]")).to_have_text(re.compile(r"^(9[5-9]|100)%$"))
    expect(status).to_have_text("本课件已学完。")
    wait_until(
        lambda: CoursewareProgress.objects.filter(pk=checkpoint.progress_id, finished_at__isnull=False).exists(),
        5,
        "the courseware was not marked finished",
    )
    browsing.snap("learn-11-finished")

    # Back to 班级首页: the 公共课 is done, a third of the class.
    page.get_by_role("link", name="← 返回培训班课程").click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/courses/"))
    tab(page, "班级首页").click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/"))
    expect(page.get_by_role("dialog", name="新手引导")).to_be_hidden()
    expect(category(page, "公共课")).to_contain_text("16 / 16 学时")
    expect(category(page, "公共课").locator(".ok-text")).to_have_text("已达标")
    expect(page.locator(".ring-label")).to_have_text("33%")
    switch = page.get_by_role("combobox", name="切换班级")
    expect(switch.locator("option")).to_have_text(["2026年度 中级工", "2025年度 中级工"])
    expect(switch).to_have_value(f"/study/{enrollment.pk}/")
    browsing.snap("learn-12-class-home-after")

    # The ledger and the checkpoint.
    entries = list(CreditEntry.objects.filter(user=learning["user"]))
    assert [(e.year, e.category, e.hours) for e in entries] == [(2026, "public", Decimal("16.00"))]
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is not None
    assert [wrong["answer"] for wrong in checkpoint.wrong_answers] == ["B"]
    progress = CoursewareProgress.objects.get(pk=checkpoint.progress_id)
    assert progress.watched >= 0.95 * courseware.duration
