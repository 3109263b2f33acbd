"""Generated courseware videos: H.264/yuv420p MP4 with faststart, the right duration, quick to make; the slide."""

import logging
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from jxjy.catalog import video

TITLE = "2024年度工勤人员职业道德与法律法规"
SUBTITLE = "第一章 第二节：机关事业单位工勤人员的职业道德规范"
LINES = [
    "职业道德的基本内涵与主要特征",
    "案例分析：某单位驾驶员的安全行车记录",
    "课后思考：如何在本岗位践行“工匠精神”？",
]
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def ffmpeg_info(path):
    return subprocess.run(
        [video.ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False
    ).stderr


def top_level_atoms(data):
    """The MP4's top-level box types in file order."""
    atoms, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8].decode("latin-1")
        if size == 1:  # 64-bit size follows the type
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:  # box runs to the end of the file
            size = len(data) - offset
        atoms.append(kind)
        if size < 8:
            break
        offset += size
    return atoms


@pytest.fixture(scope="module")
def six_seconds(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "lesson.mp4"
    duration = video.make_courseware_video(path, title=TITLE, subtitle=SUBTITLE, lines=LINES, seconds=6)
    return path, duration


def test_six_second_video_is_h264_yuv420p_mp4(six_seconds):
    path, _duration = six_seconds
    info = ffmpeg_info(path)
    assert "Input #0, mov,mp4" in info
    assert "Video: h264" in info
    assert "yuv420p" in info
    assert "1280x720" in info
    assert "Audio: aac" in info


def test_moov_comes_before_mdat_for_progressive_playback(six_seconds):
    path, _duration = six_seconds
    atoms = top_level_atoms(path.read_bytes())
    assert atoms[0] == "ftyp"
    assert "moov" in atoms and "mdat" in atoms
    assert atoms.index("moov") < atoms.index("mdat"), atoms


def test_duration_is_probed_back(six_seconds):
    path, duration = six_seconds
    assert duration == pytest.approx(6, abs=0.3)
    assert video.probe_duration(path) == pytest.approx(6, abs=0.3)
    assert video.probe_duration(str(path)) == duration


def test_progress_changes_every_second(six_seconds, tmp_path):
    """The picture in second 1 differs from the one in second 4 (the progress bar and counter moved)."""
    path, _duration = six_seconds
    frames = []
    for second in (0.5, 3.5):
        out = tmp_path / f"at-{second}.png"
        subprocess.run(
            [video.ffmpeg_exe(), "-loglevel", "error", "-ss", str(second), "-i", str(path), "-frames:v", "1", str(out)],
            check=True,
        )
        frames.append(Image.open(out).convert("L"))
    footer = (0, 620, 1280, 720)
    assert frames[0].crop(footer).tobytes() != frames[1].crop(footer).tobytes()


def test_probe_duration_rejects_a_text_file(tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("这不是视频文件\n" * 20, encoding="utf-8")
    with pytest.raises(ValueError, match="not a video"):
        video.probe_duration(notes)


def test_probe_duration_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        video.probe_duration(tmp_path / "missing.mp4")


def test_poster_is_the_first_frame_as_jpeg(six_seconds, tmp_path):
    path, _duration = six_seconds
    poster = video.make_poster(path, tmp_path / "posters" / "lesson.jpg")
    with Image.open(poster) as image:
        assert image.format == "JPEG"
        assert image.size == (1280, 720)
        assert image.getpixel((640, 40)) == pytest.approx((0x1D, 0x5F, 0xAE), abs=12)  # the header band


def test_sixty_second_video_is_quick_and_small(tmp_path):
    """A sanity check, not a benchmark: one picture a second keeps generation around a second or two."""
    path = tmp_path / "long.mp4"
    started = time.monotonic()
    duration = video.make_courseware_video(path, title=TITLE, subtitle=SUBTITLE, lines=LINES, seconds=60)
    elapsed = time.monotonic() - started
    assert duration == pytest.approx(60, abs=0.3)
    assert elapsed < 10, f"generating a 60 s video took {elapsed:.1f} s"
    assert path.stat().st_size < 2_000_000


def test_invalid_lengths_and_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError):
        video.make_courseware_video(tmp_path / "a.mp4", title=TITLE, subtitle="", lines=[], seconds=0)
    with pytest.raises(ValueError):
        video.make_courseware_video(tmp_path / "b.mp4", title=TITLE, subtitle="", lines=[], seconds=2, size=(641, 360))


def header_ink(image, size=(1280, 720)):
    """Pixels of the header band that are not the band's colour: the title."""
    band = image.crop((0, 0, size[0], round(160 * size[1] / 720)))
    red, green, blue = ImageChops.difference(band, Image.new("RGB", band.size, video.BRAND)).split()
    differs = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return band.width * band.height - differs.histogram()[0]


def test_slide_draws_the_chinese_title_on_the_header_band():
    if video.find_cjk_font() is None:
        pytest.skip(f"no CJK font on this machine ({video.FONT_HINT}); the title would be the ASCII fallback")
    slide = video.render_slide(TITLE, SUBTITLE, LINES)
    assert slide.size == (1280, 720)
    assert slide.mode == "RGB"
    assert slide.getpixel((5, 5)) == video.BRAND
    blank = video.render_slide("", SUBTITLE, LINES)
    assert header_ink(blank) == 0
    assert header_ink(slide) > 2000  # 17 characters of 56 px white text


def test_slide_scales_to_other_sizes():
    slide = video.render_slide(TITLE * 3, SUBTITLE, LINES * 5, size=(640, 360))
    assert slide.size == (640, 360)
    assert slide.getpixel((3, 3)) == video.BRAND


def test_without_cjk_font_the_ascii_fallback_title_is_drawn(monkeypatch, caplog):
    monkeypatch.setattr(video, "_slide_font_path", lambda: None)
    video._warn_no_cjk_font.cache_clear()
    with caplog.at_level(logging.WARNING, logger="jxjy.catalog.video"):
        slide = video.render_slide(TITLE, SUBTITLE, LINES, fallback_title="Work ethics (2024)")
        video.render_slide(TITLE, SUBTITLE, LINES, fallback_title="Work ethics (2024)")
    warnings = [record for record in caplog.records if "fonts-wqy-microhei" in record.getMessage()]
    assert len(warnings) == 1, "the missing font is reported once per process"
    assert header_ink(slide) > 500
    assert header_ink(video.render_slide(TITLE, SUBTITLE, LINES, fallback_title="")) == 0


def test_without_cjk_font_a_video_is_still_made(monkeypatch, tmp_path):
    monkeypatch.setattr(video, "_slide_font_path", lambda: None)
    path = tmp_path / "fallback.mp4"
    assert video.make_courseware_video(
        path, title=TITLE, subtitle=SUBTITLE, lines=LINES, seconds=2, fallback_title="Lesson 1", audio=False
    ) == pytest.approx(2, abs=0.3)
    assert "Audio:" not in ffmpeg_info(path)


def test_font_from_the_environment_must_draw_chinese(monkeypatch, tmp_path):
    found = video.find_cjk_font()
    if found is None:
        pytest.skip(f"no CJK font on this machine ({video.FONT_HINT})")
    monkeypatch.setenv(video.FONT_ENV, found)
    assert video.find_cjk_font() == found
    # A Latin-only font draws 学 as its missing-glyph box: passed over for the next candidate.
    monkeypatch.setenv(video.FONT_ENV, DEJAVU)
    assert video.find_cjk_font() not in (DEJAVU, None)
    not_a_font = tmp_path / "font.ttf"
    not_a_font.write_bytes(b"not a font")
    monkeypatch.setenv(video.FONT_ENV, str(not_a_font))
    assert video.find_cjk_font() == found


def test_latin_font_is_not_taken_for_a_cjk_font():
    if not Path(DEJAVU).is_file():
        pytest.skip("DejaVu Sans is not installed")
    assert not video._draws_chinese(DEJAVU)


def test_probe_duration_rejects_audio_only_files(tmp_path):
    song = tmp_path / "song.m4a"
    subprocess.run(
        [video.ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(song)],
        check=True,
    )
    with pytest.raises(ValueError, match="not a video"):
        video.probe_duration(song)


def test_openh264_is_used_when_ffmpeg_has_no_x264(monkeypatch, tmp_path):
    monkeypatch.setattr(video, "_has_encoder", lambda exe, name: False)
    path = tmp_path / "openh264.mp4"
    assert video.make_courseware_video(path, title=TITLE, subtitle=SUBTITLE, lines=LINES, seconds=2) == pytest.approx(
        2, abs=0.3
    )
    info = ffmpeg_info(path)
    assert "Video: h264" in info and "yuv420p" in info


def test_a_failed_encode_leaves_no_file_behind(monkeypatch, tmp_path):
    monkeypatch.setattr(video, "_video_codec_args", lambda exe: ["-c:v", "no-such-encoder"])
    with pytest.raises(RuntimeError, match="ffmpeg failed"):
        video.make_courseware_video(tmp_path / "broken.mp4", title=TITLE, subtitle="", lines=[], seconds=3)
    assert list(tmp_path.iterdir()) == []


def test_no_cjk_font_anywhere(monkeypatch):
    monkeypatch.delenv(video.FONT_ENV, raising=False)
    monkeypatch.setattr(video, "KNOWN_CJK_FONTS", (DEJAVU,))
    monkeypatch.setattr(video, "_fontconfig_candidates", lambda: [])
    assert video.find_cjk_font() is None
