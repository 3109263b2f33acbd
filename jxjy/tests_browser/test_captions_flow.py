"""字幕 in the player, on a phone and a desktop: the courseware's WebVTT track loads and shows, 字幕：开 / 字幕：关 hides
and shows it (and the choice survives a reload), and in 大字模式 the captions are drawn larger.

The caption's size is measured on the picture itself: a cue is drawn on a dark box over the light slide, so the
widest run of dark pixels in the lower part of the video is the cue's width. Browsers do not report a cue's style
through getComputedStyle, and the cue box lives in the video's closed shadow tree.
"""

import io
from decimal import Decimal

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import expect

from conftest import make_catalog

from .steps import log_in

pytestmark = pytest.mark.browser

FIRST_CUE = "节约能源从我做起"  # eight characters: one line even at 大字模式's size on a 360-px phone
SECOND_CUE = "安全第一"


@pytest.fixture
def captioned(alice, tmp_path):
    """alice's paid 2026 class with a 公共课 whose one 6-second courseware has two captions."""
    from jxjy.catalog import captions
    from jxjy.catalog.models import Category, Chapter, Course, Courseware
    from jxjy.catalog.video import make_courseware_video
    from jxjy.learning.models import Enrollment
    from jxjy.learning.services import class_courses
    from jxjy.orders.services import place_order, transition

    training_class = make_catalog()[(2026, "L4")]
    course = Course.objects.create(title="公共机构节能管理", category=Category.PUBLIC, hours=Decimal("4"))
    training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章 节能基础")
    path = tmp_path / "lesson.mp4"
    duration = make_courseware_video(path, title=course.title, subtitle="第一章", lines=["节能"], seconds=6)
    courseware = Courseware(chapter=chapter, title="1.1 节能概述", duration=duration)
    with open(path, "rb") as handle:
        courseware.video.save("lesson.mp4", File(handle), save=False)
    vtt = captions.from_slides([FIRST_CUE, SECOND_CUE], duration)
    courseware.captions.save("c.vtt", ContentFile(vtt.encode()), save=False)
    courseware.save()
    order = place_order(user=alice, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    transition(order, "paid")
    enrollment = Enrollment.objects.get(user=alice)
    class_courses(enrollment)  # the 公共课 is assigned
    return {"user": alice, "url": f"/study/{enrollment.pk}/play/{courseware.pk}/"}


TRACK = "() => { const t = document.getElementById('video').textTracks[0]; return t && t.mode; }"


def cue_width(page):
    """The widest run of dark pixels (the cue's box) in the lower 45 % of the video picture, in CSS px; 0 when no
    caption is drawn."""
    video = page.locator("#video")
    # The native controls draw a dark bar over a paused video: hidden for the picture, then put back.
    video.evaluate("(v) => { v.controls = false; }")
    page.wait_for_timeout(200)
    shot = Image.open(io.BytesIO(video.screenshot())).convert("RGB")
    video.evaluate("(v) => { v.controls = true; }")
    scale = shot.width / video.bounding_box()["width"]
    pixels = shot.load()
    widest = 0
    for y in range(int(shot.height * 0.55), shot.height - 2):
        run = 0
        for x in range(shot.width):
            r, g, b = pixels[x, y]
            run = run + 1 if max(r, g, b) < 90 else 0
            widest = max(widest, run)
    return widest / scale


def show_first_frame(page):
    """Play (muted: headless Chromium allows it) into the first caption, then pause so the picture holds still."""
    page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.getElementById('video').currentTime > 0.4", polling=50)
    page.evaluate("() => document.getElementById('video').pause()")
    page.wait_for_function(
        "() => { const t = document.getElementById('video').textTracks[0];"
        " return t.activeCues && t.activeCues.length === 1; }"
    )


def test_captions_show_toggle_and_grow_in_large_text_mode(browsing, captioned, live_server):
    page = browsing.page
    log_in(browsing, captioned["user"], "captions-01-login")
    page.goto(captioned["url"])
    toggle = page.get_by_role("button", name="字幕：开")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    box = toggle.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44

    # The track loaded through the scoped view and is showing.
    page.wait_for_function(
        "() => { const t = document.getElementById('video').textTracks[0]; return t.cues && t.cues.length === 2; }"
    )
    assert page.evaluate(TRACK) == "showing"
    assert page.evaluate("() => document.getElementById('video').textTracks[0].cues[0].text") == FIRST_CUE
    show_first_frame(page)
    normal = cue_width(page)
    assert normal > 100, f"no caption drawn on the video (widest dark run {normal} px)"
    browsing.snap("captions-02-player-on")

    # 字幕：关 hides it, and the choice is remembered on this device.
    toggle.click()
    off = page.get_by_role("button", name="字幕：关")
    expect(off).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(TRACK) == "hidden"
    assert cue_width(page) < 20, "the caption is still drawn after 字幕：关"
    browsing.snap("captions-03-player-off")
    page.reload()
    expect(page.get_by_role("button", name="字幕：关")).to_be_visible()
    assert page.evaluate(TRACK) == "hidden"
    page.get_by_role("button", name="字幕：关").click()
    expect(page.get_by_role("button", name="字幕：开")).to_be_visible()
    assert page.evaluate(TRACK) == "showing"

    # 大字模式: the same caption is drawn larger.
    page.context.add_cookies([{"name": "jxjy_a11y", "value": "1", "url": live_server.url}])
    page.reload()
    expect(page.locator("html")).to_have_class("a11y")
    toggle = page.get_by_role("button", name="字幕：开")
    expect(toggle).to_be_visible()
    assert toggle.bounding_box()["height"] >= 44
    show_first_frame(page)
    large = cue_width(page)
    assert large >= normal * 1.25, f"大字模式 caption {large:.0f} px wide, normal {normal:.0f} px"
    browsing.snap("captions-04-player-large")
