"""The player never leaves a learner stuck (issue 15, item 2), in a real browser on a 360-px phone in 大字模式 and on a
desktop: a pop-up question answered wrong twice offers 看解析, which shows its 解析; the session then really ends (its row is deleted, as
the 30-minute idle sign-out does), 提交答案 says 登录已过期 and offers 重新登录, which comes back to the same courseware
at the question, where the right answer lets timing go on and the server credits the time. And a second page taking
over the playback stops this one with 在本页继续学习, which takes it back.

The courseware is the 20-second video `learning` makes; its question is placed at 3 s so a run stays short."""

import re

import pytest
from playwright.sync_api import expect

from jxjy.lib.outage import A11Y_COOKIE

from .conftest import Browsing, browsing_session
from .steps import (
    CAPTCHA,
    PASSWORD,
    Heartbeats,
    at,
    current_time,
    end_the_session,
    log_in,
    place_checkpoint,
    play,
    wait_until,
)
from .test_learning_flow import QUESTION, QUIZ_TIMEOUT_MS, learning  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

EXPLANATION = "开展节能工作，是为了降低能耗、提高能源利用效率。"
CHECKPOINT_AT = 3.0
SIGNED_OUT = "登录已过期，请重新登录后继续学习。"
TAKEN_OVER = "您已在其他页面或设备上播放本课程，这里已暂停计时。"


@pytest.fixture
def browsing(browser, live_server, viewport):
    """The phone in 大字模式, the desktop in the standard mode. A 401 or 409 reply is logged by the browser itself
    ("Failed to load resource"); anything else in the console fails the test."""
    for session in browsing_session(browser, viewport, live_server, expected_error="Failed to load resource"):
        if viewport == "phone":
            session.page.context.add_cookies([{"name": A11Y_COOKIE, "value": "1", "url": live_server.url}])
        yield session


def checkpoint_at_3s(data, *, answered=False):
    """The courseware's one pop-up question, at 3 s (drawn by the server, it could be anywhere from 3 s to 17 s)."""
    from jxjy.catalog.models import Question
    from jxjy.learning.services import class_courses

    class_courses(data["enrollment"])  # the 公共课 is assigned to the class
    question = Question.objects.get(text=QUESTION)
    question.explanation = EXPLANATION
    question.save(update_fields=["explanation"])
    return place_checkpoint(data["enrollment"], data["courseware"], question, CHECKPOINT_AT, answered=answered)


def player_path(data):
    return f"/study/{data['enrollment'].pk}/play/{data['courseware'].pk}/"


def watched(checkpoint):
    from jxjy.learning.models import CoursewareProgress

    return CoursewareProgress.objects.get(pk=checkpoint.progress_id).watched


def test_signed_out_at_a_question_then_back_at_the_same_place(browsing, learning):  # noqa: F811 (fixture)
    page = browsing.page
    checkpoint = checkpoint_at_3s(learning)
    beats = Heartbeats(page)
    log_in(browsing, learning["user"], "recover-01-login")
    page.goto(player_path(learning))
    status = page.locator("[data-status]")
    expect(status).to_have_text("点击播放开始学习。")
    expect(status).to_have_attribute("aria-live", "polite")

    # The question stops the video at 3 s.
    play(page)
    quiz = page.get_by_role("dialog", name="知识点练习")
    expect(quiz).to_be_visible(timeout=QUIZ_TIMEOUT_MS)
    beats.settle()
    expect(quiz).to_contain_text(QUESTION)
    expect(quiz.get_by_role("radio").first).to_be_focused()  # focus moved into the question
    assert current_time(page) == pytest.approx(CHECKPOINT_AT, abs=1.0)

    # Wrong once: no 解析 on offer yet. Wrong twice: 看解析, which shows it under the question.
    help_box = quiz.locator("[data-quiz-help]")
    ask_help = quiz.get_by_role("button", name="看解析")
    submit = quiz.get_by_role("button", name="提交答案")
    quiz.get_by_role("radio", name="B. 增加开支").check()
    submit.click()
    expect(quiz.get_by_role("alert")).to_have_text("回答不正确，请再想一想。")
    expect(submit).to_be_enabled()
    expect(ask_help).to_be_hidden()
    expect(help_box).to_be_hidden()
    submit.press("Enter")  # the keyboard sends it too (the choice is kept)
    expect(ask_help).to_be_visible()
    expect(help_box).to_be_hidden()
    browsing.snap("recover-02-wrong-twice")
    ask_help.press("Enter")
    expect(help_box).to_be_visible()
    expect(help_box).to_be_focused()
    expect(help_box).to_contain_text("解析")
    expect(help_box).to_contain_text(EXPLANATION)
    expect(ask_help).to_be_hidden()
    browsing.snap("recover-03-explanation")

    # The session ends on the server; the learner now picks the right answer and presses 提交答案.
    end_the_session(page)
    quiz.get_by_role("radio", name="A. 降低能耗").check()
    submit.click()
    expect(quiz).to_contain_text(SIGNED_OUT)
    relogin = quiz.get_by_role("link", name="重新登录")
    expect(relogin).to_be_visible()
    expect(relogin).to_be_focused()
    expect(status).to_contain_text("登录已过期")
    expect(page.locator("[data-play-toggle]")).to_be_hidden()  # no 播放 that would do nothing
    browsing.snap("recover-04-signed-out")
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is None  # nothing was recorded without a session
    assert len(checkpoint.wrong_answers) == 2

    # 重新登录 → the login page → back to the same courseware, at the question.
    relogin.click()
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("身份证号", exact=True).fill(learning["user"].id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    browsing.snap("recover-05-login")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(at(player_path(learning)))
    position = float(re.search(r"[?&]t=([0-9.]+)", page.url).group(1))
    assert position == pytest.approx(CHECKPOINT_AT, abs=1.0)
    expect(quiz).to_be_visible(timeout=QUIZ_TIMEOUT_MS)  # the unanswered question is asked again at once
    assert current_time(page) == pytest.approx(CHECKPOINT_AT, abs=1.0)
    browsing.snap("recover-06-back")

    # The right answer: the video goes on and the server credits what is watched after the question.
    before = watched(checkpoint)
    page.evaluate("() => { document.getElementById('video').muted = true; }")
    quiz.get_by_role("radio", name="A. 降低能耗").check()
    quiz.get_by_role("button", name="提交答案").click()
    expect(quiz).to_be_hidden()
    page.wait_for_function(f"() => document.getElementById('video').currentTime > {CHECKPOINT_AT + 4}", timeout=15_000)
    page.evaluate("() => document.getElementById('video').pause()")
    beats.settle()
    wait_until(lambda: watched(checkpoint) >= before + 3, 5, "no time was credited after the right answer")
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is not None
    expect(status).to_have_text("已暂停，暂停期间不计时。")
    browsing.snap("recover-07-timing-again")


def test_another_page_takes_over_then_this_one_takes_it_back(browsing, learning):  # noqa: F811 (fixture)
    from jxjy.learning.models import PlaybackSession

    page = browsing.page
    checkpoint = checkpoint_at_3s(learning, answered=True)  # no question in the way
    user = learning["user"]
    log_in(browsing, user, "takeover-01-login")
    page.goto(player_path(learning))
    status = page.locator("[data-status]")
    expect(status).to_have_text("点击播放开始学习。")
    play(page)
    page.wait_for_function("() => document.getElementById('video').currentTime > 2")

    # The same learner opens the courseware on a second page: its playback supersedes this one.
    other = Browsing(page.context.new_page(), browsing.viewport, browsing.base_url)
    other.page.goto(player_path(learning))
    expect(other.page.locator("[data-status]")).to_have_text(re.compile("点击播放|继续学习"))
    wait_until(lambda: PlaybackSession.objects.filter(user=user).count() == 2, 5, "the second page did not start")

    # This page's next heartbeat (here: the pause) is refused: it says so and offers to take it back.
    page.bring_to_front()
    page.evaluate("() => document.getElementById('video').pause()")
    box = page.locator("[data-alert]")
    expect(box).to_be_visible()
    expect(box).to_contain_text(TAKEN_OVER)
    take_back = box.get_by_role("button", name="在本页继续学习")
    expect(take_back).to_be_focused()
    expect(page.locator("[data-play-toggle]")).to_be_hidden()
    browsing.snap("takeover-02-taken")
    position = current_time(page)

    take_back.click()
    expect(box).to_be_hidden()
    expect(page.locator("[data-play-toggle]")).to_be_visible()
    expect(status).to_have_text("已回到刚才的位置，点击播放继续学习。")
    wait_until(lambda: PlaybackSession.objects.filter(user=user).count() == 3, 5, "no new playback here")
    current = PlaybackSession.objects.get(user=user, is_current=True)
    assert current == PlaybackSession.objects.filter(user=user).order_by("started_at").last()
    assert current_time(page) == pytest.approx(position, abs=1.0)  # where this page stood
    browsing.snap("takeover-03-back")

    # Timing goes on here: the server credits the new playback.
    before = watched(checkpoint)
    play(page)
    page.wait_for_function(f"() => document.getElementById('video').currentTime > {position + 3}", timeout=15_000)
    page.evaluate("() => document.getElementById('video').pause()")
    wait_until(lambda: watched(checkpoint) >= before + 2, 10, "the taken-back playback earned nothing")
    other.page.close()


def test_an_answer_survives_a_strange_reply_and_a_network_blip(browsing, learning):  # noqa: F811 (fixture)
    """提交答案 is busy while it sends; a reply that is not JSON (a proxy's page) says so and keeps the choice, and a
    lost request is sent again by itself, saying 正在重试."""
    page = browsing.page
    checkpoint = checkpoint_at_3s(learning)
    replies = ["html", "lost"]  # then the real server

    def answer(route):
        kind = replies.pop(0) if replies else "server"
        if kind == "html":
            route.fulfill(status=200, content_type="text/html", body="<html><body>网关错误</body></html>")
        elif kind == "lost":
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/learning/checkpoints/*/answer/", answer)
    log_in(browsing, learning["user"], "answer-blip-01-login")
    page.goto(player_path(learning))
    expect(page.locator("[data-status]")).to_have_text("点击播放开始学习。")
    play(page)
    quiz = page.get_by_role("dialog", name="知识点练习")
    expect(quiz).to_be_visible(timeout=QUIZ_TIMEOUT_MS)
    right = quiz.get_by_role("radio", name="A. 降低能耗")
    right.check()
    submit = quiz.locator("[data-quiz-submit]")

    submit.click()
    expect(quiz.get_by_role("alert")).to_have_text("出了点问题，请刷新页面后再试。")
    expect(submit).to_have_text("提交答案")
    expect(submit).to_be_enabled()
    expect(right).to_be_checked()  # the choice is kept for the next press
    browsing.snap("answer-blip-02-strange-reply")
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is None

    submit.click()
    expect(submit).to_have_text("正在提交…")
    expect(submit).to_be_disabled()
    expect(quiz.get_by_role("alert")).to_have_text("网络不稳定，正在重试…")
    browsing.snap("answer-blip-03-retrying")
    expect(quiz).to_be_hidden(timeout=10_000)  # sent again after 2 s, and right
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is not None
    assert replies == []
