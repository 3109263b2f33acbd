"""学习记录, the 继续教育档案's wording and the exam history on a phone and a desktop: a courseware played to its end
in real time shows in 学习记录 with the time played and the 学时 it earned; the current year's archive says
未完成（本年度进行中）, not a red 不合格; 历史考试记录 and 历史练习 stack on a phone instead of scrolling sideways;
学习记录 reads in 大字模式 too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_catalog

from .steps import BEAT_URL, add_course, at, log_in, wait_until

pytestmark = pytest.mark.browser

COURSE = "公共机构节能管理"
VIDEO_SECONDS = 6


@pytest.fixture
def studying(alice, tmp_path):
    """alice in the 2026 中级工 class with a 4-学时 公共课 of one short real video (no pop-up question)."""
    from jxjy.catalog.models import Category
    from jxjy.catalog.video import make_courseware_video
    from jxjy.learning.models import Enrollment
    from jxjy.orders.services import place_order, transition

    training_class = make_catalog()[(2026, "L4")]
    video = tmp_path / "lesson.mp4"
    duration = make_courseware_video(video, title=COURSE, subtitle="第一章", lines=["节约能源"], seconds=VIDEO_SECONDS)
    _, courseware = add_course(training_class, COURSE, Category.PUBLIC, "4", video, duration, "第一章", "1.1 节能概述")
    order = place_order(user=alice, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    transition(order, "paid")
    return {"user": alice, "enrollment": Enrollment.objects.get(user=alice), "courseware": courseware}


def graded(enrollment, score):
    from jxjy.exams.models import AttemptStatus, ExamAttempt

    now = timezone.now()
    return ExamAttempt.objects.create(
        enrollment=enrollment, user=enrollment.user, paper=[], status=AttemptStatus.GRADED,
        number=ExamAttempt.objects.filter(enrollment=enrollment).count() + 1,
        started_at=now - timedelta(minutes=20), deadline=now + timedelta(minutes=10), submitted_at=now,
        score=score, passed=score >= enrollment.training_class.exam_pass_score,
    )  # fmt: skip


def play_to_the_end(browsing, enrollment, courseware):
    from jxjy.learning.models import CoursewareProgress

    page = browsing.page
    page.add_init_script("localStorage.setItem('jxjy-tour-seen', '1')")
    page.goto(f"/study/{enrollment.pk}/play/{courseware.pk}/")
    page.locator("h1").click()
    with page.expect_response(lambda r: BEAT_URL in r.url):
        page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.getElementById('video').ended", timeout=30_000, polling=250)
    wait_until(
        lambda: CoursewareProgress.objects.filter(enrollment=enrollment, finished_at__isnull=False).exists(),
        10,
        "the courseware was not marked finished",
    )
    browsing.snap("records-01-played")


def stacked(page, selector):
    """Whether the table's rows are laid out as blocks (a card per row) rather than table rows."""
    return page.locator(f"{selector} tbody tr").first.evaluate("row => getComputedStyle(row).display") == "block"


def test_records_archive_and_exam_history(browsing, studying):
    from jxjy.credits.models import CreditEntry
    from jxjy.exams.models import Practice
    from jxjy.learning.models import PlaybackSession

    page = browsing.page
    enrollment, courseware = studying["enrollment"], studying["courseware"]
    log_in(browsing, studying["user"], "records-00-login")
    play_to_the_end(browsing, enrollment, courseware)
    entry = CreditEntry.objects.get(user=studying["user"])
    assert entry.hours == 4 and entry.source == "online"

    # 学员中心 → 学习记录: today, the courseware, the time played and the 学时 it earned.
    page.goto("/center/")
    page.locator(".side-menu").get_by_role("link", name="学习记录").click()
    expect(page).to_have_url(at("/records/"))
    day = page.locator(".record-day").first
    played_on = timezone.localdate(PlaybackSession.objects.get(enrollment=enrollment).started_at)
    expect(day.get_by_role("heading")).to_contain_text(played_on.strftime("%Y年%-m月%-d日"))
    expect(day).to_contain_text(f"{COURSE} · 1.1 节能概述")
    expect(day).to_contain_text("播放时间")
    expect(day).to_contain_text("已获得 4 学时")
    expect(day.locator(".record-day-earned")).to_have_text("当天获得 4 学时")
    expect(page.locator(".records-rule")).to_contain_text("认真看满 45 分钟视频算 1 学时")
    browsing.snap("records-02-records")
    page.get_by_role("button", name="大字模式").click()
    expect(page.get_by_role("button", name="标准模式")).to_be_visible()
    browsing.snap("records-03-records-large")
    page.get_by_role("button", name="标准模式").click()
    expect(page.get_by_role("button", name="大字模式")).to_be_visible()

    # 继续教育档案: the year runs until the class's deadline — no red 不合格 yet; 已获得, not 计入.
    page.get_by_role("link", name="查看2026年度继续教育档案（各类学时合计）").click()
    expect(page).to_have_url(at("/certificates/archive/"))
    badge = page.locator(".result-badge")
    expect(badge).to_have_text("未完成（本年度进行中）")
    expect(badge).to_have_class("result-badge is-pending")
    expect(page.locator(".archive-deadline")).to_contain_text("学习截止")
    expect(page.locator("main")).not_to_contain_text("计入")
    browsing.snap("records-04-archive")

    # 历史考试记录 and 历史练习: a failed then a passed attempt, a practice; cards on a phone, a table on a desktop.
    graded(enrollment, 40)
    graded(enrollment, 80)
    Practice.objects.create(enrollment=enrollment, user=enrollment.user, questions=list(range(1, 11)))
    page.goto(f"/study/{enrollment.pk}/exam/history/")
    expect(page.locator(".exam-history .result-word.is-no")).to_have_text("不合格")
    expect(page.locator(".exam-history .result-word.is-ok")).to_have_text("合格")
    assert stacked(page, ".exam-history") is (browsing.viewport == "phone")
    browsing.snap("records-05-exam-history")
    page.goto(f"/study/{enrollment.pk}/practice/")
    assert stacked(page, ".practice-history") is (browsing.viewport == "phone")
    browsing.snap("records-06-practice-history")

    # The score page of the passed attempt leads to the archive.
    page.goto(f"/study/{enrollment.pk}/exam/history/")
    page.locator(".exam-history tbody tr").first.get_by_role("link", name="查看试卷").click()
    expect(page.locator(".result-box .result-word")).to_have_text("合格")
    page.get_by_role("link", name="去继续教育档案打印证书").click()
    expect(page).to_have_url(at("/certificates/archive/"))
