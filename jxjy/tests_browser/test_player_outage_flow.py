"""The player through an outage, in a real browser (issue 13, item 4): heartbeats answered 503 (the server's calm
answer while PostgreSQL or Redis is down) or lost to the network stay at the head of the queue, the learner reads
网络不稳定，正在重试…, and every beat reaches the server in order once it answers again — none is dropped."""

import time
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from .conftest import browsing_session
from .steps import BEAT_URL, at, log_in
from .test_learning_flow import learning  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

RETRYING = "网络不稳定，正在重试…（已学的时间不会丢失）"


@pytest.fixture
def browsing(browser, live_server, viewport):
    """A desktop and a 360-px phone; the 503 and the lost beat are the console errors expected."""
    yield from browsing_session(browser, viewport, live_server, expected_error="Failed to load resource")


def wait_for(page, check, message, timeout=15.0):
    """Poll `check` while Playwright runs the route handlers (they run only while the page is waited on)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, message
        page.wait_for_timeout(100)


def test_heartbeats_answered_503_or_lost_are_retried_and_none_is_dropped(browsing, learning):  # noqa: F811
    from jxjy.learning.services import class_courses

    page = browsing.page
    enrollment, courseware = learning["enrollment"], learning["courseware"]
    class_courses(enrollment)  # the 公共课 is assigned to the class
    outage = {"left": 2}  # the first two sends: a 503, then no answer at all
    sent, delivered = [], []

    def beat(route):
        seq = int(parse_qs(route.request.post_data)["seq"][0])
        sent.append(seq)
        if outage["left"] == 2:
            outage["left"] -= 1
            route.fulfill(
                status=503,
                headers={"Retry-After": "15"},
                content_type="application/json",
                body='{"error": "系统繁忙，请稍后再试。", "retry": true}',
            )
        elif outage["left"] == 1:
            outage["left"] -= 1
            route.abort("connectionreset")
        else:
            delivered.append(seq)
            route.continue_()

    page.route(f"**{BEAT_URL}", beat)
    log_in(browsing, learning["user"], "player-outage-01-login")
    page.goto(f"/study/{enrollment.pk}/play/{courseware.pk}/")
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/play/{courseware.pk}/"))
    status = page.locator("[data-status]")
    expect(status).to_have_text("点击播放开始学习。")

    page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    expect(status).to_have_text(RETRYING)
    browsing.snap("player-outage-02-retrying")
    assert delivered == []
    wait_for(page, lambda: delivered, "the first beat was never sent again")  # 2 s after the 503, 4 s after the loss
    expect(status).not_to_have_text(RETRYING)  # the line goes once the server answers
    page.evaluate("() => document.getElementById('video').pause()")  # (or a pop-up question paused it already)
    wait_for(page, lambda: len(delivered) >= 2, "the pause's beat was not sent")
    assert sent[:3] == [1, 1, 1]  # the first beat three times: 503, lost, answered
    assert delivered == list(range(1, len(delivered) + 1))  # every beat, in order: none dropped
    browsing.snap("player-outage-03-back")
