"""Debian's Chromium plays the courseware videos we generate: H.264 Main/yuv420p + AAC in a faststart MP4.

The video and a tiny HTML page are written to the test's own directory and opened over file://, no server needed.
If this fails on canPlayType, the browser has no H.264 decoder and the platform's video format must change.
"""

import pytest
from PIL import Image

from jxjy.catalog import video

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="zh-CN"><meta charset="utf-8"><title>播放测试</title>
<body style="margin:0;background:#000">
<video id="v" muted playsinline preload="auto" width="640" height="360" src="lesson.mp4"></video>
</body></html>
"""


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 800, "height": 600}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


def test_chromium_plays_generated_h264_video(page, tmp_path):
    duration = video.make_courseware_video(
        tmp_path / "lesson.mp4",
        title="职业道德与法律法规",
        subtitle="第一章 职业道德规范",
        lines=["播放测试"],
        seconds=4,
    )
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    page.goto((tmp_path / "index.html").as_uri())

    support = page.evaluate(
        """() => {
          const v = document.getElementById("v");
          return {
            h264: v.canPlayType('video/mp4; codecs="avc1.42E01E"'),
            h264main: v.canPlayType('video/mp4; codecs="avc1.4D401F, mp4a.40.2"'),
            vp9: v.canPlayType('video/webm; codecs="vp9"'),
          };
        }"""
    )
    assert support["h264"], f"Chromium cannot play H.264 MP4 (other formats: {support})"
    assert support["h264main"], f"Chromium cannot play H.264 Main + AAC (other formats: {support})"

    page.evaluate("() => document.getElementById('v').play()")
    page.wait_for_function("() => document.getElementById('v').currentTime > 1.5", timeout=10_000, polling=100)
    state = page.evaluate(
        """() => {
          const v = document.getElementById("v");
          return {width: v.videoWidth, height: v.videoHeight, duration: v.duration, error: v.error && v.error.code,
                  frames: v.getVideoPlaybackQuality().totalVideoFrames};
        }"""
    )
    assert state["error"] is None
    assert (state["width"], state["height"]) == (1280, 720)
    assert state["duration"] == pytest.approx(duration, abs=0.3)
    assert state["frames"] > 0, "time advanced but no frame was decoded"

    # The decoded picture is the slide (header band colour at the top), not a black box.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "video-playback.png"
    page.locator("#v").screenshot(path=str(shot))
    with Image.open(shot) as image:
        picture = image.convert("RGB")
        scale = picture.width / 640
        assert picture.getpixel((round(600 * scale), round(20 * scale))) == pytest.approx(video.BRAND, abs=16)

    # Seeking (resuming where the learner left off) lands where asked, and playback runs to the end.
    page.evaluate("() => { const v = document.getElementById('v'); v.currentTime = 3; }")
    page.wait_for_function("() => { const v = document.getElementById('v'); return !v.seeking && v.currentTime >= 3; }")
    page.wait_for_function("() => document.getElementById('v').ended", timeout=10_000)
