"""The demo coursewares ship 字幕 made from their slides: the same lines, spread over the video's own length."""

import pytest

from jxjy.catalog.captions import to_webvtt
from jxjy.catalog.models import Course, Courseware
from jxjy.demo.loaders import COURSES, load_coursewares


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_every_demo_courseware_has_captions_of_its_slide(db):
    title, category, hours, _ = COURSES[0]
    Course.objects.create(title=title, category=category, hours=hours)
    load_coursewares()
    coursewares = list(Courseware.objects.select_related("chapter__course"))
    assert len(coursewares) == 2
    for courseware in coursewares:
        with courseware.captions.open("rb") as handle:
            vtt = handle.read().decode("utf-8")
        assert to_webvtt(vtt.encode(), duration=courseware.duration) == vtt  # valid, as an upload would be
        texts = [block.split("\n", 1)[1] for block in vtt.strip().split("\n\n")[1:]]
        assert texts[:2] == [title, f"{courseware.chapter.title} · {courseware.title}"]
        assert texts[2].startswith("本课件时长") and texts[3].startswith("请按正常速度观看")
        last_end = vtt.strip().split("\n\n")[-1].split("\n")[0].split(" --> ")[1]
        _, minutes, seconds = last_end.split(":")
        assert float(seconds) + 60 * int(minutes) == pytest.approx(courseware.duration, abs=0.01)
