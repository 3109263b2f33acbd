"""学时明细 in a real browser (issue 16, item 1 "Done when"): on a 360 × 740 phone the learner plays a courseware with
the real player, pauses for a few seconds, switches to another page (the player pauses itself), tries to drag ahead
past what she has watched (refused, and reported), and plays on; then 学习记录 → 学时明细 lists each refused minute
with its reason — 暂停或切到后台 and 快进 with their amounts — as the session row in the database holds them. The
南京 city office then signs in on a desktop (second factor included), opens 学员管理 → the learner → the courseware's
学时明细 and reads the same reasons. The learner's page is also measured in 大字模式 and on a desktop (axe included).

The courseware is a real 60-second video; the player reports every 2 s here (15 s in production). Screenshots go to
test-artifacts/screenshots/<viewport>-detail-*.png. Headless Chromium never hides a page when another is brought to
the front, so the switch sets document.hidden and sends visibilitychange, exactly what a phone's browser does when the
learner goes to another app or tab; the player's own listener then pauses the video."""

import json
import re

import pytest
from playwright.sync_api import expect

from conftest import make_catalog

from .conftest import browsing_in
from .measures import check
from .steps import BEAT_URL, Heartbeats, add_course, at, current_time, log_in, play, staff_log_in, wait_until

pytestmark = pytest.mark.browser

PUBLIC = "公共机构节能管理"
COURSEWARE = "1.1 节能概述"
VIDEO_SECONDS = 60
BEAT_EVERY = 2  # seconds between heartbeats while playing (settings.HEARTBEAT_INTERVAL)
PAUSED_FOR = 4  # seconds paused with ❚❚ 暂停
HIDDEN_FOR = 4  # seconds on another page
JUMP = 25  # seconds the learner tries to drag past what she watched
PHONE_740 = {"viewport": {"width": 360, "height": 740}}
PAUSED = "已暂停，暂停期间不计时。"

# What the browser does when the page goes to the background (or comes back): document.hidden, then the event.
SET_HIDDEN = """(hidden) => {
  const state = { hidden, visibilityState: hidden ? "hidden" : "visible" };
  for (const [name, value] of Object.entries(state)) {
    Object.defineProperty(document, name, { configurable: true, get: () => value });
  }
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture
def studying(alice, tmp_path, settings):
    """alice (南京) in the paid 2026 中级工 class, whose 公共课 has one 60 s courseware and no pop-up question."""
    from jxjy.catalog.models import Category
    from jxjy.catalog.video import make_courseware_video
    from jxjy.learning.models import Enrollment
    from jxjy.learning.services import class_courses
    from jxjy.orders.services import place_order, transition

    settings.HEARTBEAT_INTERVAL = BEAT_EVERY
    training_class = make_catalog()[(2026, "L4")]
    video = tmp_path / "lesson.mp4"
    duration = make_courseware_video(
        video, title=PUBLIC, subtitle="第一章 节能基础", lines=["节约能源", "降低能耗"], seconds=VIDEO_SECONDS
    )
    _, courseware = add_course(
        training_class, PUBLIC, Category.PUBLIC, "16", video, duration, "第一章 节能基础", COURSEWARE
    )
    order = place_order(user=alice, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    transition(order, "paid")
    enrollment = Enrollment.objects.get(user=alice, training_class=training_class)
    class_courses(enrollment)  # the 公共课 is assigned
    return {"user": alice, "enrollment": enrollment, "courseware": courseware}


def play_on(page, seconds):
    """Wait while the video plays `seconds` further."""
    start = current_time(page)
    page.wait_for_function(
        f"() => document.getElementById('video').currentTime > {start + seconds}", timeout=(seconds + 10) * 1000
    )


def study_with_a_pause_a_switch_and_a_jump(browsing, studying):
    """The player: play, ❚❚ 暂停 a few seconds, ▶ 继续播放, another page in front a few seconds, ▶ 继续播放, a drag
    past what was watched (snapped back), play on, ❚❚ 暂停."""
    page = browsing.page
    enrollment, courseware = studying["enrollment"], studying["courseware"]
    beats = Heartbeats(page)
    page.goto(f"/study/{enrollment.pk}/play/{courseware.pk}/")
    status, button = page.locator("[data-status]"), page.locator("[data-play-toggle]")
    expect(status).to_have_text("点击播放开始学习。")
    play(page)
    play_on(page, 5)

    button.click()  # ❚❚ 暂停
    expect(button).to_have_text("▶ 继续播放")
    expect(status).to_have_text(PAUSED)
    page.wait_for_timeout(PAUSED_FOR * 1000)
    button.click()
    expect(button).to_have_text("❚❚ 暂停")
    play_on(page, 3)

    other = page.context.new_page()  # another page to the front: this one goes to the background
    other.goto("/")
    other.bring_to_front()
    page.evaluate(SET_HIDDEN, True)
    assert page.evaluate("() => document.getElementById('video').paused")  # the player paused itself
    expect(status).to_have_text(PAUSED)
    browsing.snap("detail-02-paused-in-background")
    stood = current_time(page)
    page.wait_for_timeout(HIDDEN_FOR * 1000)
    assert current_time(page) == pytest.approx(stood, abs=0.1)  # nothing played while away
    other.close()
    page.bring_to_front()
    page.evaluate(SET_HIDDEN, False)
    button.click()  # ▶ 继续播放
    expect(button).to_have_text("❚❚ 暂停")
    play_on(page, 3)

    before = current_time(page)
    page.evaluate(f"() => {{ document.getElementById('video').currentTime = {before + JUMP}; }}")
    expect(status).to_have_text("只能拖动到已经看过的位置。")
    assert current_time(page) < before + 3  # snapped back to what was watched
    play_on(page, 3)
    button.click()
    expect(status).to_have_text(PAUSED)
    beats.settle()


def test_refused_minutes_with_their_reasons_for_the_learner_and_the_city_office(
    browser, live_server, studying, nanjing_reviewer
):
    from jxjy.audit.models import AuditRecord, Event
    from jxjy.learning.models import CoursewareProgress, PlaybackSession

    enrollment, courseware, alice = studying["enrollment"], studying["courseware"], studying["user"]
    link = f"学时明细：{COURSEWARE}"
    with browsing_in(browser, "phone", live_server, options=PHONE_740) as browsing:
        page = browsing.page
        log_in(browsing, alice, "detail-01-login")
        study_with_a_pause_a_switch_and_a_jump(browsing, studying)

        page.goto("/center/")
        page.locator(".side-menu").get_by_role("link", name="学习记录").click()
        expect(page).to_have_url(at("/records/"))
        check(browsing, "detail-03-records", False)
        page.get_by_role("link", name=link).click()
        progress = CoursewareProgress.objects.get(enrollment=enrollment, courseware=courseware)
        expect(page).to_have_url(at(f"/records/courseware/{progress.pk}/"))
        expect(page.get_by_role("heading", name="学时明细", exact=True)).to_be_visible()
        paused = page.locator(".detail-loss-lp")
        skipped = page.locator(".detail-loss-ls")
        expect(paused).to_have_text(re.compile(r"^暂停或切到后台的时间不计：\d+ 秒$"))
        expect(skipped).to_have_text(re.compile(r"^快进跳过的部分不计：拖到没看过的位置 1 次，跳过的 \d+ 秒内容不计$"))
        expect(page.locator(".detail-session")).to_have_count(1)
        expect(page.locator(".detail-session")).to_contain_text("计入时间")
        check(browsing, "detail-04-learner", False)
        learner_saw = page.locator(".detail-loss").all_inner_texts()

        # The session row holds what the page says.
        row = PlaybackSession.objects.get(enrollment=enrollment, courseware=courseware)
        assert row.lost_paused >= PAUSED_FOR + HIDDEN_FOR - 1.5, row.lost_paused
        assert f"{round(row.lost_paused)} 秒" in learner_saw[0]
        assert row.beats_seek == 1 and row.lost_seek >= JUMP - 5, (row.beats_seek, row.lost_seek)
        assert f"跳过的 {round(row.lost_seek)} 秒" in skipped.inner_text()
        assert row.credited >= 10 and row.lost_rate == 0
        progress.refresh_from_db()
        assert progress.watched == pytest.approx(row.credited, abs=1.0)  # the jump earned nothing
        detail_path = page.url.removeprefix(live_server.url)

    # The same page on a desktop, and in 大字模式 on the phone: measured, axe included.
    for viewport, large, options in (("desktop", False, {}), ("phone", True, PHONE_740)):
        with browsing_in(
            browser, viewport, live_server, large_text=large, options={**options, "bypass_csp": True}
        ) as browsing:
            log_in(browsing, alice, f"detail-05-login{'-large' if large else ''}")
            browsing.page.goto(detail_path)
            expect(browsing.page.locator(".detail-loss")).to_have_text(learner_saw)
            check(browsing, f"detail-06-learner{'-large' if large else ''}", large, axe=True)

    # The 南京 city office: 学员管理 → alice → the courseware's 学时明细, read only.
    with browsing_in(browser, "desktop", live_server) as browsing:
        page = browsing.page
        staff_log_in(page, nanjing_reviewer, f"/office/learners/{alice.pk}/")
        expect(page.get_by_role("heading", name=f"学员详情 · {alice.name}")).to_be_visible()
        section = page.locator("section").filter(has=page.get_by_role("heading", name="课件学习情况"))
        expect(section).to_contain_text(f"{PUBLIC} · {COURSEWARE}")
        browsing.snap("detail-07-office-learner")
        section.get_by_role("link", name=link).click()
        expect(page).to_have_url(at(f"/office/learners/{alice.pk}/courseware/{progress.pk}/"))
        expect(page.get_by_role("heading", name=f"学时明细 · {alice.name}")).to_be_visible()
        expect(page.locator(".detail-loss")).to_have_text(learner_saw)
        expect(page.locator(".office-main form")).to_have_count(0)  # nothing to change here
        browsing.snap("detail-08-office-detail")
    wait_until(
        lambda: AuditRecord.objects.filter(
            event=Event.LEARNER_VIEW, actor=nanjing_reviewer, detail={"progress": progress.pk}
        ).exists(),
        5,
        "the office's view of the 学时明细 was not audited",
    )


BEHIND = {"accepted": True, "credited": 0, "watched": 2.0, "furthest": 2.0, "finished": False, "pending": None}


def test_after_an_outage_the_video_goes_back_to_what_was_counted(browser, live_server, studying):
    """The server's watched point is behind the video — its reply credits nothing and says 0:02 while the video
    stands past 0:16 (more than two heartbeats and a late one's slack), what a long network outage leaves — so the player goes back there, says so, and at once
    reports the new position, so the server carries on from it."""
    from urllib.parse import parse_qs

    enrollment, courseware = studying["enrollment"], studying["courseware"]
    sent = []  # (position, playing) of each heartbeat, in order

    def beat(route):
        data = parse_qs(route.request.post_data)
        sent.append((float(data["position"][0]), data["playing"][0]))
        if sent[-1][0] > 16 and all(position <= 16 for position, _ in sent[:-1]):  # 2 beats + 10 s behind
            route.fulfill(status=200, content_type="application/json", body=json.dumps(BEHIND))
        else:
            route.continue_()

    with browsing_in(browser, "phone", live_server, options=PHONE_740) as browsing:
        page = browsing.page
        log_in(browsing, studying["user"], "detail-09-login")
        page.route(f"**{BEAT_URL}", beat)
        page.goto(f"/study/{enrollment.pk}/play/{courseware.pk}/")
        status = page.locator("[data-status]")
        expect(status).to_have_text("点击播放开始学习。")
        play(page)
        expect(status).to_have_text("网络中断期间的内容没有计时，已退回到 0:02 接着播放。", timeout=20_000)
        assert current_time(page) < 6
        page.wait_for_timeout(2 * BEAT_EVERY * 1000)
        expect(status).to_have_text("网络中断期间的内容没有计时，已退回到 0:02 接着播放。")  # still there to read
        browsing.snap("detail-10-back-after-outage")
        behind = next(i for i, (position, _) in enumerate(sent) if position > 16)
        position, playing = sent[behind + 1]
        assert position == pytest.approx(2.0, abs=0.5) and playing == "1", sent  # reported at once
        assert not page.evaluate("() => document.getElementById('video').paused")
