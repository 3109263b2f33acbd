"""The player's large 播放 / 暂停 button (issue 15, item 6): the native controls' buttons are small for a finger, so a
full-width button under the video starts and pauses the courseware, and its words follow the video — on a 360-px
phone and on a desktop. Pausing with it stops the timing the server keeps, exactly as the native control does."""

import pytest
from playwright.sync_api import expect

from .steps import at, log_in
from .test_learning_flow import learning  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def test_the_large_button_plays_and_pauses(browsing, learning):  # noqa: F811 (fixture)
    from jxjy.learning.models import PlaybackSession
    from jxjy.learning.services import class_courses

    page = browsing.page
    enrollment, courseware = learning["enrollment"], learning["courseware"]
    class_courses(enrollment)  # the 公共课 is assigned to the class
    log_in(browsing, learning["user"], "play-button-01-login")
    page.goto(f"/study/{enrollment.pk}/play/{courseware.pk}/")
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/play/{courseware.pk}/"))

    button = page.locator("[data-play-toggle]")
    expect(button).to_be_visible()
    expect(button).to_have_text("▶ 播放")
    box, video = button.bounding_box(), page.locator("#video").bounding_box()
    assert box["height"] >= 44 and box["width"] >= video["width"] * 0.9, (box, video)  # as wide as the video
    browsing.snap("play-button-02-ready")

    page.evaluate("() => { document.getElementById('video').muted = true; }")  # headless Chromium plays muted
    button.click()
    page.wait_for_function("() => document.getElementById('video').currentTime > 1", timeout=10_000)
    expect(button).to_have_text("❚❚ 暂停")
    expect(page.locator("[data-status]")).to_have_text("正在计时学习中…")

    button.click()
    expect(button).to_have_text("▶ 继续播放")
    expect(page.locator("[data-status]")).to_have_text("已暂停，暂停期间不计时。")
    assert page.evaluate("() => document.getElementById('video').paused")
    browsing.snap("play-button-03-paused")
    assert PlaybackSession.objects.filter(enrollment=enrollment, courseware=courseware, is_current=True).exists()
