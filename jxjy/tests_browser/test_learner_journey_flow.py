"""The whole learner journey of issue 15 ("Done when"), on a 360 × 740 phone in 大字模式, as a 56-year-old meets it:
注册 → 网络班报名 (技术等级 asked first) → 支付失败 → 我的订单 去支付 → 支付成功 → 去选课 (the next step after payment)
→ 播放, where the pop-up question is answered wrong twice (看解析), then right → a forced sign-out while the video plays
→ 重新登录, back at the same place → the courseware finished → 学习记录 shows the time played and the 学时 earned.

Every page on the way is measured: a screenshot (test-artifacts/screenshots/phone-learner-*.png), no sideways scroll,
every target at least 44 × 44 px, no text under 18 px, and axe-core finds nothing serious or critical (the CSP is
bypassed in this test's browser context only, to inject axe). The database is checked at each key point.

The 公共课's courseware is a real 10-second video with its question at 2.5 s; the player reports every 2 s here (15 s in
production) so the sign-out is noticed while the video still plays. The run takes about a minute."""

import re
import time

import pytest
from playwright.sync_api import expect

from conftest import make_catalog
from jxjy.lib.idcard import check_char
from jxjy.lib.outage import A11Y_COOKIE

from .conftest import browsing_session
from .measures import check
from .steps import (
    CAPTCHA,
    Heartbeats,
    add_course,
    at,
    class_card,
    current_time,
    end_the_session,
    fill_registration,
    order_entry,
    pay,
    place_checkpoint,
    play,
    wait_until,
)

pytestmark = pytest.mark.browser

CLASS_TITLE = "2026年度工勤人员继续教育网络班（中级工）"
PUBLIC = "公共机构节能管理"
PROFESSIONAL = "机关事务管理实务"
ELECTIVE = "健康生活与心理调适"
COURSEWARE = "1.1 节能概述"
QUESTION = "公共机构开展节能工作的主要目的是什么？"
EXPLANATION = "开展节能工作，是为了降低能耗、提高能源利用效率。"
VIDEO_SECONDS = 10
CHECKPOINT_AT = 2.5
BEAT_EVERY = 2  # seconds between heartbeats while playing (settings.HEARTBEAT_INTERVAL)
SIGN_OUT_AFTER = 5.0  # the video position at which the session is ended on the server
PLAYER_TIMEOUT_MS = 20_000

NAME = "陈建国"
FIRST17 = "32010219700505123"  # born 1970, registered in 南京
MOBILE = "13900001234"
NEW_PASSWORD = "Xuexi2026ok"

PHONE_740 = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1}


@pytest.fixture
def browsing(browser, live_server):
    """The phone, 360 × 740, with the CSP bypassed for axe. The 401 of the heartbeat after the sign-out is logged
    by the browser itself ("Failed to load resource"); anything else in the console fails the test."""
    yield from browsing_session(
        browser,
        "phone",
        live_server,
        expected_error="Failed to load resource",
        options={**PHONE_740, "bypass_csp": True},
    )


@pytest.fixture
def offering(tmp_path, settings):
    """网络班 of 2025 and 2026 for 中级工 and 高级工; the 2026 中级工 class offers a 16-学时 公共课 (a real 10 s video,
    one pop-up question with its 解析), a 24-学时 专业课 and an 8-学时 选修课 to choose."""
    from jxjy.catalog.models import Category, Question
    from jxjy.catalog.video import make_courseware_video

    settings.HEARTBEAT_INTERVAL = BEAT_EVERY
    training_class = make_catalog()[(2026, "L4")]
    video = tmp_path / "lesson.mp4"
    duration = make_courseware_video(
        video, title=PUBLIC, subtitle="第一章 节能基础", lines=["节约能源", "降低能耗"], seconds=VIDEO_SECONDS
    )
    public, courseware = add_course(
        training_class, PUBLIC, Category.PUBLIC, "16", video, duration, "第一章 节能基础", COURSEWARE
    )
    question = Question.objects.create(
        course=public,
        kind="single",
        text=QUESTION,
        options=["降低能耗", "增加开支"],
        answer="A",
        explanation=EXPLANATION,
    )
    add_course(training_class, PROFESSIONAL, Category.PROFESSIONAL, "24", courseware.video.name, duration)
    add_course(training_class, ELECTIVE, Category.ELECTIVE, "8", courseware.video.name, duration)
    return {"class": training_class, "courseware": courseware, "question": question}


def register(browsing, outbox, id_number):
    """首页 → 大字模式 (the header button, no reload) → 新用户注册 → 学员中心."""
    page = browsing.page
    page.goto("/")
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\ba11y\b"))
    assert any(c["name"] == A11Y_COOKIE and c["value"] == "1" for c in page.context.cookies())
    check(browsing, "learner-01-portal", True, axe=True)

    page.locator("header").get_by_role("link", name="新用户注册").click()
    expect(page).to_have_url(at("/register/"))
    fill_registration(page, outbox, NAME, id_number, MOBILE, NEW_PASSWORD)
    check(browsing, "learner-02-register", True, axe=True)
    page.get_by_role("button", name="立即注册").click()
    expect(page).to_have_url(at("/center/"))
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    check(browsing, "learner-03-center", True, axe=True)


def choose_grade_and_order(browsing):
    """网络班报名: 您的技术等级 first (中级工, confirmed), the matching class → 立即报名 → 提交订单; the order number."""
    page = browsing.page
    page.locator(".side-menu").get_by_role("link", name="网络班报名").click()
    expect(page).to_have_url(at("/classes/"))
    expect(page.get_by_role("group", name="您的技术等级")).to_be_visible()
    expect(page.get_by_role("button", name="立即报名")).to_have_count(0)
    check(browsing, "learner-04-grade-ask", True, axe=True)
    page.locator(".grade-card").filter(has_text="中级工").click()
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name="请确认您的技术等级")).to_be_visible()
    check(browsing, "learner-05-grade-confirm", True, axe=True)
    page.get_by_role("button", name="确定，我是中级工").click()
    expect(page).to_have_url(at("/classes/"))
    card = class_card(page, CLASS_TITLE)
    expect(card.locator(".grade-match")).to_have_text("与您的技术等级相符")
    check(browsing, "learner-06-classes", True, axe=True)

    card.get_by_role("button", name="立即报名").click()
    expect(page).to_have_url(at("/checkout/"))
    check(browsing, "learner-07-checkout", True, axe=True)
    page.get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/JX\d+/confirm/$"))
    check(browsing, "learner-08-confirm", True, axe=True)
    return page.locator("p", has_text="订单号：").locator("strong").inner_text().strip()


def pay_fail_then_pay_from_my_orders(browsing, number, user):
    """支付失败 → 查看订单 → 菜单 → 我的订单: 待支付 with 去支付 → 确认订单信息 → 支付成功."""
    from jxjy.learning.models import Enrollment
    from jxjy.orders.models import Order, OrderStatus
    from jxjy.payments.models import Payment, PaymentStatus

    page = browsing.page
    pay(browsing, "支付失败", number, "learner-09-failed")
    check(browsing, "learner-09-failed", True, axe=True)
    order = Order.objects.get(number=number)
    assert order.user_id == user.pk and order.status == OrderStatus.PENDING
    assert list(Payment.objects.filter(order=order).values_list("status", flat=True)) == [PaymentStatus.FAILED]
    assert not Enrollment.objects.filter(user=user).exists()

    page.get_by_role("link", name="查看订单").click()
    expect(page).to_have_url(at(f"/orders/{number}/"))
    page.locator(".side-menu").locator("summary", has_text="菜单").click()
    page.locator(".side-menu").get_by_role("link", name="我的订单").click()
    expect(page).to_have_url(at("/orders/"))
    entry = order_entry(page, number)
    expect(entry.locator(".tag-big")).to_have_text("待支付")
    expect(entry.locator(".pay-by")).to_contain_text("前支付，还剩")
    check(browsing, "learner-10-my-orders", True, axe=True)
    entry.get_by_role("link", name="去支付").click()
    expect(page).to_have_url(at(f"/orders/{number}/confirm/"))
    pay(browsing, "支付成功", number, "learner-11-paid")
    check(browsing, "learner-11-paid", True, axe=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1
    return Enrollment.objects.get(user=user, order_line__order=order)


def select_courses(browsing, enrollment):
    """支付成功's next step 去选课 → tick 专业课 and 选修课 → 确认 → 班级首页 (its 新手引导); returns its next step,
    开始学习《公共课》."""
    from jxjy.learning.models import CourseSelection

    page = browsing.page
    step = page.locator(".order-next-step").filter(has_text=CLASS_TITLE)
    expect(step.locator(".next-step-btn")).to_have_text("去选课")
    expect(step.locator(".next-step-reason")).to_contain_text("专业课还需选 24 学时，选修课还需选 8 学时")
    step.locator(".next-step-btn").click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/select/"))
    check(browsing, "learner-12-select", True, axe=True)
    for title in (PROFESSIONAL, ELECTIVE):
        page.get_by_role("checkbox", name=title).check()
    expect(page.locator(".select-summary li[data-category=professional]")).to_contain_text("已选够")
    expect(page.locator(".select-summary li[data-category=elective]")).to_contain_text("已选够")
    page.get_by_role("button", name="确认选中的课程").click()
    expect(page.locator(".messages")).to_contain_text("选课已保存")
    check(browsing, "learner-13-selected", True, axe=True)
    chosen = CourseSelection.objects.filter(enrollment=enrollment).values_list("course__title", flat=True)
    assert {PUBLIC, PROFESSIONAL, ELECTIVE} <= set(chosen)

    page.get_by_role("link", name="返回", exact=True).click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/"))
    tour = page.get_by_role("dialog", name="新手引导")
    expect(tour).to_be_visible()
    for _ in range(10):  # 下一步 … 我知道了
        last = tour.get_by_role("button", name="我知道了", exact=True)
        if last.is_visible():
            last.click()
            break
        tour.get_by_role("button", name="下一步", exact=True).click()
    expect(tour).to_be_hidden()
    top = page.locator(".next-step-card .next-step-btn")
    expect(top).to_have_text(f"开始学习《{PUBLIC}》")
    check(browsing, "learner-14-class-home", True, axe=True)
    return top


def watched(progress_id):
    from jxjy.learning.models import CoursewareProgress

    return CoursewareProgress.objects.get(pk=progress_id).watched


def answer_wrong_twice_then_right(browsing, checkpoint):
    page = browsing.page
    quiz = page.get_by_role("dialog", name="知识点练习")
    expect(quiz).to_be_visible(timeout=PLAYER_TIMEOUT_MS)
    expect(quiz).to_contain_text(QUESTION)
    assert current_time(page) == pytest.approx(CHECKPOINT_AT, abs=1.0)
    check(browsing, "learner-16-question", True, axe=True)
    submit = quiz.get_by_role("button", name="提交答案")
    for _ in range(2):
        quiz.get_by_role("radio", name="B. 增加开支").check()
        submit.click()
        expect(quiz.get_by_role("alert")).to_have_text("回答不正确，请再想一想。")
        expect(submit).to_be_enabled()
    quiz.get_by_role("button", name="看解析").click()
    expect(quiz.locator("[data-quiz-help]")).to_contain_text(EXPLANATION)
    check(browsing, "learner-17-explanation", True, axe=True)
    checkpoint.refresh_from_db()
    assert [wrong["answer"] for wrong in checkpoint.wrong_answers] == ["B", "B"]
    assert checkpoint.answered_at is None

    quiz.get_by_role("radio", name="A. 降低能耗").check()
    submit.click()
    expect(quiz).to_be_hidden()
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is not None


def signed_out_while_playing_then_back(browsing, user, enrollment, courseware):
    """The video plays on after the right answer; the session ends on the server; the next heartbeat is refused and
    the page says 登录已过期 with 重新登录, which comes back to the same courseware at the same place."""
    page = browsing.page
    page.wait_for_function(f"() => document.getElementById('video').currentTime > {SIGN_OUT_AFTER}")
    end_the_session(page)
    alert = page.locator("[data-alert]")
    expect(alert).to_contain_text("登录已过期，请重新登录后继续学习。", timeout=PLAYER_TIMEOUT_MS)
    assert page.evaluate("() => document.getElementById('video').paused")  # timing stopped with the video
    stopped_at = current_time(page)
    relogin = alert.get_by_role("link", name="重新登录")
    expect(relogin).to_be_focused()
    check(browsing, "learner-18-signed-out", True, axe=True)

    relogin.click()
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("身份证号", exact=True).fill(user.id_number)
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    check(browsing, "learner-19-login-again", True, axe=True)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/play/{courseware.pk}/"))
    assert float(re.search(r"[?&]t=([0-9.]+)", page.url).group(1)) == pytest.approx(stopped_at, abs=0.2)
    expect(page.locator("[data-status]")).to_have_text("已回到刚才的位置，点击播放继续学习。")
    # Back where the video stopped, give or take the heartbeat that was refused (what the server had credited): the
    # page seeks there once the video's metadata has loaded.
    page.wait_for_function("() => document.getElementById('video').currentTime > 0")
    assert current_time(page) == pytest.approx(stopped_at, abs=BEAT_EVERY + 0.5)
    assert current_time(page) > SIGN_OUT_AFTER - 1
    check(browsing, "learner-20-back", True, axe=True)


def study(browsing, user, enrollment, checkpoint):
    """播放 → the question → signed out → back → played to the end; the time is credited after the re-login."""
    from jxjy.credits.models import CreditEntry

    page = browsing.page
    courseware = checkpoint.progress.courseware
    beats = Heartbeats(page)
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/play/{courseware.pk}/"))
    expect(page.locator("[data-status]")).to_have_text("点击播放开始学习。")
    check(browsing, "learner-15-player", True, axe=True)
    started = time.monotonic()
    play(page)
    answer_wrong_twice_then_right(browsing, checkpoint)
    signed_out_while_playing_then_back(browsing, user, enrollment, courseware)
    before = watched(checkpoint.progress_id)
    assert before >= CHECKPOINT_AT  # what was watched before the sign-out is kept
    assert not CreditEntry.objects.filter(user=user).exists()

    play(page)
    page.wait_for_function("() => document.getElementById('video').ended", timeout=PLAYER_TIMEOUT_MS, polling=250)
    beats.settle()
    expect(page.locator("[data-status]")).to_have_text("本课件已学完。")
    wait_until(lambda: watched(checkpoint.progress_id) > before + 2, 5, "no time was credited after 重新登录")
    wait_until(lambda: CreditEntry.objects.filter(user=user).exists(), 5, "the finished courseware earned nothing")
    entry = CreditEntry.objects.get(user=user)
    assert (entry.year, entry.category, entry.hours, entry.source) == (2026, "public", 16, "online")
    check(browsing, "learner-21-finished", True, axe=True)
    return time.monotonic() - started


def records_show_the_playback(browsing, user, enrollment, courseware, played_for):
    """学员中心 → 学习记录: today's row names the courseware, the time played, how much was watched, the 学时 earned."""
    from django.utils import timezone

    from jxjy.learning.models import CoursewareProgress, PlaybackSession

    page = browsing.page
    page.get_by_role("link", name="← 返回培训班课程").click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/courses/"))
    page.get_by_role("link", name="返回学员中心").click()
    expect(page).to_have_url(at("/center/"))
    page.locator(".side-menu").get_by_role("link", name="学习记录").click()
    expect(page).to_have_url(at("/records/"))
    sessions = list(PlaybackSession.objects.filter(user=user, enrollment=enrollment).order_by("started_at"))
    assert len(sessions) == 2  # before the sign-out and after 重新登录
    seconds = sum((s.last_beat_at - s.started_at).total_seconds() for s in sessions)
    assert VIDEO_SECONDS - 2 <= seconds <= played_for + 1
    progress = CoursewareProgress.objects.get(enrollment=enrollment, courseware=courseware)
    percent = min(100, int(progress.watched * 100 // courseware.duration))
    assert percent >= 95

    day = page.locator(".record-day").first
    expect(day.get_by_role("heading")).to_contain_text(timezone.localdate().strftime("%Y年%-m月%-d日"))
    row = day.locator(".record-item").filter(has_text=f"{PUBLIC} · {COURSEWARE}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("网络学习")
    expect(row).to_contain_text(f"共约 {round(seconds)} 秒")
    expect(row).to_contain_text(f"（{percent}%）")
    expect(row).to_contain_text("已获得 16 学时")
    expect(day.locator(".record-day-earned")).to_have_text("当天获得 16 学时")
    check(browsing, "learner-22-records", True, axe=True)


def test_register_to_records_on_a_phone_in_large_text(browsing, outbox, offering):
    from jxjy.accounts.models import User
    from jxjy.learning.models import Checkpoint

    page = browsing.page
    id_number = FIRST17 + check_char(FIRST17)

    register(browsing, outbox, id_number)
    user = User.objects.get(name=NAME)
    assert (user.city_id, user.grade, user.mobile_verified_at is not None) == ("320100", "", True)

    number = choose_grade_and_order(browsing)
    user.refresh_from_db()
    assert user.grade == "L4"

    enrollment = pay_fail_then_pay_from_my_orders(browsing, number, user)
    assert enrollment.training_class_id == offering["class"].pk
    start = select_courses(browsing, enrollment)
    # The question at 2.5 s, placed just before the courseware is first opened (the server then draws no other).
    checkpoint = place_checkpoint(enrollment, offering["courseware"], offering["question"], CHECKPOINT_AT)
    start.click()
    expect(page.locator("[data-status]")).to_have_text("点击播放开始学习。")
    assert Checkpoint.objects.filter(progress__enrollment=enrollment).count() == 1
    played_for = study(browsing, user, enrollment, checkpoint)
    records_show_the_playback(browsing, user, enrollment, offering["courseware"], played_for)
    expect(page.locator("html")).to_have_class(re.compile(r"\ba11y\b"))  # 大字模式 all the way
