"""Placeholder courseware videos: a lecture slide drawn with Pillow, encoded by the ffmpeg of imageio-ffmpeg.

Demo data, tests and local development need real, playable videos without shipping media files. A generated video
is an H.264 (Main profile, yuv420p) MP4 with the ``moov`` atom up front (``+faststart``) and a silent AAC track, the
format every browser and phone plays. Each second shows the same slide with an elapsed-time progress bar and a
``00:05 / 01:00`` counter, so a viewer (and a test) can see playback advance.

Chinese text needs a CJK font: ``find_cjk_font()`` looks at ``$JXJY_CJK_FONT``, the usual Debian paths and fontconfig.
Without one the slide falls back to Pillow's built-in font and an ASCII ``fallback_title`` given by the caller
(``apt-get install fonts-wqy-microhei`` fixes that).

Pure functions, no Django models.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

FONT_ENV = "JXJY_CJK_FONT"
KNOWN_CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch, Fedora
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
    "/System/Library/Fonts/PingFang.ttc",  # macOS
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "C:/Windows/Fonts/msyh.ttc",  # Windows
    "C:/Windows/Fonts/simhei.ttf",
)
FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")
PROBE_CHAR = "学"
MISSING_CHAR = "\U0010fffd"  # a private-use code point no font maps: draws the font's .notdef ("tofu") glyph

SLIDE_SIZE = (1280, 720)
BRAND = (0x1D, 0x5F, 0xAE)  # #1d5fae, the header band
BRAND_DARK = (0x15, 0x47, 0x84)
ACCENT = (0xF2, 0xA9, 0x00)
BACKGROUND = (0xF7, 0xF9, 0xFC)
INK = (0x1F, 0x29, 0x37)
MUTED = (0x5B, 0x67, 0x78)
FOOTER_BG = (0xE8, 0xEE, 0xF6)
TRACK = (0xD3, 0xDC, 0xE8)
WHITE = (0xFF, 0xFF, 0xFF)
FOOTER_TEXT = "江苏省机关事业单位工勤人员继续教育网络培训平台"
FONT_HINT = "apt-get install fonts-wqy-microhei"

# Every file ffmpeg reads is opened with the file protocol only (no http, no concat:, no data:, no pipe) and only by
# the demuxer of a plain media container: a playlist (HLS .m3u8), a concat list, an SDP or an image sequence would
# make ffmpeg open other local files or the network (and show them as the "video"). The probed format is checked
# again after ffmpeg reports it, and every run is killed after a timeout.
MEDIA_DEMUXERS = ("mov,mp4,m4a,3gp,3g2,mj2", "avi", "asf", "matroska,webm", "flv", "mpeg", "mpegts")
SAFE_INPUT = ["-protocol_whitelist", "file", "-format_whitelist", ",".join(MEDIA_DEMUXERS)]
PROBE_TIMEOUT = 60  # seconds: reading a file's header is quick; a hang (a FIFO, a stalled mount) is killed
POSTER_TIMEOUT = 120
INPUT_RE = re.compile(r"^Input #0, (.+?), from ", re.MULTILINE)

FPS = 5  # output frame rate: one new picture a second, repeated; x264 codes the repeats as near-free skip frames
KEYFRAME_SECONDS = 10
DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


# --- fonts ------------------------------------------------------------------------------------------------------------


def _draws_chinese(path: str) -> bool:
    """True if the font at `path` loads and draws 学 as a real glyph: not blank, not its .notdef box."""
    try:
        font = _truetype(path, 48)
    except (OSError, ValueError):
        return False

    def ink(text):
        image = Image.new("L", (96, 96), 0)
        ImageDraw.Draw(image).text((16, 16), text, font=font, fill=255)
        return image

    glyph = ink(PROBE_CHAR)
    if glyph.getbbox() is None:
        return False
    return glyph.tobytes() != ink(MISSING_CHAR).tobytes()


def _fontconfig_candidates() -> list[str]:
    """Font files fontconfig says cover Chinese, regular weights first; [] without fc-list."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        result = subprocess.run(
            [fc_list, "--format=%{file}\\n", ":lang=zh"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    files = {line.strip() for line in result.stdout.splitlines()}
    files = [f for f in files if f.lower().endswith(FONT_SUFFIXES)]
    odd_weight = re.compile(r"bold|black|heavy|light|thin|medium|semi|demi|extra|italic", re.IGNORECASE)
    return sorted(files, key=lambda f: (bool(odd_weight.search(Path(f).name)), f))


def find_cjk_font() -> str | None:
    """Path of a TrueType/OpenType font (or collection) that draws Chinese, or None.

    Tries ``$JXJY_CJK_FONT``, then well-known paths (WenQuanYi, Noto CJK, Droid Sans Fallback, macOS and Windows
    system fonts), then ``fc-list :lang=zh``. A candidate counts only if Pillow loads it and draws 学 as a glyph
    that is neither blank nor the font's missing-glyph box.
    """
    candidates = []
    if os.environ.get(FONT_ENV):
        candidates.append(os.environ[FONT_ENV])
    candidates += KNOWN_CJK_FONTS
    seen = set()
    for path in candidates:
        if path not in seen and os.path.isfile(path):
            seen.add(path)
            if _draws_chinese(path):
                return path
    for path in _fontconfig_candidates():
        if path not in seen and _draws_chinese(path):
            return path
    return None


@functools.lru_cache(maxsize=32)
def _face_index(path: str) -> int:
    """In a font collection, the Simplified Chinese face (Noto Sans CJK SC, PingFang SC); otherwise the first."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    for index in range(16):
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        if re.search(r"\b(SC|CN|GB|Hans)\b", family or ""):
            return index
    return 0


def _truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=_face_index(path))


@functools.lru_cache(maxsize=8)
def _find_cjk_font_cached(env_value: str | None) -> str | None:
    return find_cjk_font()


def _slide_font_path() -> str | None:
    """find_cjk_font(), looked up once per value of $JXJY_CJK_FONT."""
    return _find_cjk_font_cached(os.environ.get(FONT_ENV))


@functools.lru_cache(maxsize=1)
def _warn_no_cjk_font() -> None:
    logger.warning(
        "No font that can draw Chinese was found (set %s or install one: %s); "
        "courseware videos show their ASCII fallback title instead.",
        FONT_ENV,
        FONT_HINT,
    )


class _Fonts:
    """The slide's fonts at one scale: a CJK font if there is one, else Pillow's built-in font."""

    def __init__(self, path: str | None, scale: float):
        self.path = path
        self.scale = scale

    @property
    def cjk(self) -> bool:
        return self.path is not None

    def get(self, size: int):
        size = max(8, round(size * self.scale))
        if self.path:
            return _truetype(self.path, size)
        return ImageFont.load_default(size=size)


# --- slide ------------------------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Za-z0-9_.,:;!?'\"()\[\]/+-]+|\s+|.")
NO_LINE_START = set("，。、：；！？）》」』】”’…%,.:;!?)]")  # punctuation that hangs at a line's end instead


def _text_width(draw: ImageDraw.ImageDraw, text: str, font) -> float:
    return draw.textlength(text, font=font)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, max_width: float) -> list[str]:
    """Greedy wrap by pixel width: anywhere between Chinese characters, between words for Latin text."""
    lines, current = [], ""
    for token in _TOKEN_RE.findall(text.strip()):
        candidate = current + token
        fits = _text_width(draw, candidate, font) <= max_width
        if not current or fits or token in NO_LINE_START:
            current = candidate
            continue
        lines.append(current.rstrip())
        current = token.lstrip()
        while current and _text_width(draw, current, font) > max_width:  # one word wider than the line
            cut = len(current) - 1
            while cut > 1 and _text_width(draw, current[:cut], font) > max_width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _clip(draw: ImageDraw.ImageDraw, lines: list[str], font, max_width: float, max_lines: int) -> list[str]:
    """At most `max_lines` lines, the last one ending in … when text was cut."""
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and _text_width(draw, last + "…", font) > max_width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return kept


def _fit_title(draw, text, fonts: _Fonts, max_width, sizes=(56, 50, 44)):
    """The largest title size that fits on one line, else two lines at the smallest size."""
    for size in sizes:
        font = fonts.get(size)
        if _text_width(draw, text, font) <= max_width:
            return font, [text]
    font = fonts.get(sizes[-1])
    return font, _clip(draw, _wrap(draw, text, font, max_width), font, max_width, 2)


def _line_height(font) -> int:
    left, top, right, bottom = font.getbbox("国Ag")
    return bottom - top


def _printable_without_cjk_font(text: str) -> bool:
    return text.isascii() and text.strip() != ""


class _Slide:
    """What the parts of one slide are drawn with: its drawing surface, fonts and size, and its scale in pixels."""

    def __init__(self, image: Image.Image, fonts: _Fonts):
        self.draw = ImageDraw.Draw(image)
        self.fonts = fonts
        self.width, self.height = image.size
        self.margin = self.px(72)
        self.text_width = self.width - 2 * self.margin

    def px(self, value: float) -> int:
        return round(value * self.fonts.scale)


def render_slide(
    title: str,
    subtitle: str,
    lines: list[str],
    size: tuple[int, int] = SLIDE_SIZE,
    *,
    fallback_title: str = "Course video",
) -> Image.Image:
    """A lecture slide: the course title on a #1d5fae header band, the chapter/courseware subtitle, body lines and
    the platform's name in the footer. Returns an RGB image of `size` (designed for 1280×720, scaled otherwise).

    Without a CJK font nothing Chinese can be drawn: the header shows the ASCII `fallback_title`, only ASCII body
    lines are kept, and a warning (once per process) says which font package to install.
    """
    width, height = size
    path = _slide_font_path()
    if path is None:
        _warn_no_cjk_font()
    image = Image.new("RGB", size, BACKGROUND)
    slide = _Slide(image, _Fonts(path, min(width / 1280, height / 720)))
    cjk = slide.fonts.cjk

    band = _draw_header(slide, title if cjk else fallback_title)
    if not cjk and not _printable_without_cjk_font(subtitle):
        subtitle = ""
    y = _draw_subtitle(slide, subtitle, band + slide.px(52))
    footer_top = height - slide.px(64)
    _draw_body(slide, [line for line in lines if cjk or _printable_without_cjk_font(line)], y, footer_top)

    # Footer band with the platform's name (left; the right end is kept free for the video's time counter).
    slide.draw.rectangle([0, footer_top, width, height], fill=FOOTER_BG)
    if cjk:
        slide.draw.text(
            (slide.margin, footer_top + slide.px(32)), FOOTER_TEXT, font=slide.fonts.get(22), fill=MUTED, anchor="lm"
        )
    return image


def _draw_header(slide: _Slide, header: str) -> int:
    """The header band with the course title, vertically centred, and a thin accent rule under it; its height."""
    draw, px = slide.draw, slide.px
    band = px(168)
    draw.rectangle([0, 0, slide.width, band], fill=BRAND)
    draw.rectangle([0, band, slide.width, band + px(6)], fill=ACCENT)
    title_font, title_lines = _fit_title(draw, header, slide.fonts, slide.text_width)
    step = round(_line_height(title_font) * 1.3)
    y = (band - step * (len(title_lines) - 1)) / 2
    for line in title_lines:
        draw.text((slide.margin, y), line, font=title_font, fill=WHITE, anchor="lm")
        y += step
    return band


def _draw_subtitle(slide: _Slide, subtitle: str, y: float) -> float:
    """The chapter / courseware name from `y`, with a short brand-coloured marker and a rule; where the body starts."""
    if not subtitle:
        return y + slide.px(10)
    draw, px, margin, text_width = slide.draw, slide.px, slide.margin, slide.text_width
    sub_font = slide.fonts.get(40)
    sub_line = _clip(draw, _wrap(draw, subtitle, sub_font, text_width - px(28)), sub_font, text_width, 1)[0]
    sub_height = _line_height(sub_font)
    draw.rectangle([margin, y, margin + px(8), y + sub_height + px(8)], fill=BRAND)
    draw.text((margin + px(28), y + (sub_height + px(8)) / 2), sub_line, font=sub_font, fill=BRAND_DARK, anchor="lm")
    y += sub_height + px(36)
    draw.line([margin, y, slide.width - margin, y], fill=TRACK, width=max(1, px(2)))
    return y + px(30)


def _draw_body(slide: _Slide, body: list[str], y: float, footer_top: int) -> None:
    """Body lines from `y`, each after a square bullet; as many as fit above the footer."""
    draw, px, margin, text_width = slide.draw, slide.px, slide.margin, slide.text_width
    body_font = slide.fonts.get(34)
    body_step = round(_line_height(body_font) * 1.55)
    bullet = px(10)
    indent = px(34)
    bottom = footer_top - px(20)
    for text in body:
        room = int((bottom - y) // body_step)
        if room < 1:
            break
        wrapped = _wrap(draw, text, body_font, text_width - indent)
        wrapped = _clip(draw, wrapped, body_font, text_width - indent, room)
        centre = y + body_step / 2
        draw.rectangle([margin, centre - bullet / 2, margin + bullet, centre + bullet / 2], fill=ACCENT)
        for line in wrapped:
            draw.text((margin + indent, y + body_step / 2), line, font=body_font, fill=INK, anchor="lm")
            y += body_step
        y += px(6)


def _draw_progress(slide: Image.Image, elapsed: int, total: int, font) -> Image.Image:
    """A copy of `slide` with a progress bar along the footer's top edge and an `mm:ss / mm:ss` counter."""
    frame = slide.copy()
    draw = ImageDraw.Draw(frame)
    width, height = frame.size
    scale = min(width / 1280, height / 720)
    footer_top = height - round(64 * scale)
    bar = max(3, round(6 * scale))
    draw.rectangle([0, footer_top - bar, width, footer_top], fill=TRACK)
    done = round(width * elapsed / total) if total else width
    if done:
        draw.rectangle([0, footer_top - bar, done, footer_top], fill=BRAND)
    counter = f"{_clock(elapsed)} / {_clock(total)}"
    draw.text(
        (width - round(72 * scale), footer_top + round(32 * scale)), counter, font=font, fill=BRAND_DARK, anchor="rm"
    )
    return frame


def _clock(seconds: int) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


# --- ffmpeg -----------------------------------------------------------------------------------------------------------


def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (or the one $IMAGEIO_FFMPEG_EXE names)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.lru_cache(maxsize=4)
def _has_encoder(exe: str, name: str) -> bool:
    result = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, check=False, timeout=60)
    return any(line.split()[1:2] == [name] for line in result.stdout.splitlines())


def _video_codec_args(exe: str) -> list[str]:
    if _has_encoder(exe, "libx264"):
        return ["-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-crf", "28", "-profile:v", "main"]
    # An ffmpeg without x264 (a distribution build): Cisco's OpenH264 still makes H.264, at a fixed bitrate.
    return ["-c:v", "libopenh264", "-b:v", "400k"]


def make_courseware_video(
    path: str | os.PathLike,
    *,
    title: str,
    subtitle: str,
    lines: list[str],
    seconds: int,
    fallback_title: str = "Course video",
    size: tuple[int, int] = SLIDE_SIZE,
    audio: bool = True,
) -> float:
    """Write an H.264/AAC MP4 of `seconds` seconds showing the slide with a progress bar and time counter.

    One picture per second goes to ffmpeg as raw RGB on stdin and is repeated up to 5 fps, so a 60-second video
    takes about a second to make and weighs well under 1 MB. The file has its moov atom first (+faststart) and a
    keyframe every 10 seconds for seeking; `audio` adds a silent AAC track. Returns the duration ffmpeg reads back.
    """
    seconds = int(seconds)
    if seconds < 1:
        raise ValueError("seconds must be at least 1")
    width, height = size
    if width % 2 or height % 2:
        raise ValueError("yuv420p needs an even width and height")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    slide = render_slide(title, subtitle, lines, size, fallback_title=fallback_title)
    font_path = _slide_font_path()
    scale = min(width / 1280, height / 720)
    counter_font = _Fonts(font_path, scale).get(24)

    exe = ffmpeg_exe()
    command = [exe, "-y", "-hide_banner", "-loglevel", "error", "-nostdin"]
    command += ["-protocol_whitelist", "pipe", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}"]
    command += ["-framerate", "1", "-i", "pipe:0"]
    if audio:
        command += ["-f", "lavfi", "-i", "anullsrc=channel_layout=mono:sample_rate=44100"]
        command += ["-map", "0:v", "-map", "1:a", "-c:a", "aac", "-b:a", "24k"]
    command += _video_codec_args(exe)
    command += ["-pix_fmt", "yuv420p", "-r", str(FPS), "-g", str(FPS * KEYFRAME_SECONDS)]
    command += ["-maxrate", "600k", "-bufsize", "1200k", "-t", str(seconds), "-movflags", "+faststart"]
    partial = path.with_name(f".{path.name}.partial")  # replaced into place when complete: never half a video
    command += ["-metadata", f"title={title}", "-f", "mp4", str(partial)]

    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        try:
            for elapsed in range(seconds):
                # The picture shown during second `elapsed`..`elapsed`+1: the bar reaches the end in the last second.
                process.stdin.write(_draw_progress(slide, elapsed + 1, seconds, counter_font).tobytes())
        except BrokenPipeError:
            pass  # ffmpeg died; its stderr says why
        _, stderr = process.communicate()
    except BaseException:
        process.kill()
        process.wait()
        partial.unlink(missing_ok=True)
        raise
    if process.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed to write {path}: {stderr.decode(errors='replace').strip()}")
    os.replace(partial, path)
    return probe_duration(path)


def _ffmpeg_info(path: str | os.PathLike, timeout: float = PROBE_TIMEOUT) -> str:
    """ffmpeg's description of the file (its stderr when given only an input), read as SAFE_INPUT. ValueError when
    ffmpeg has not answered within `timeout` seconds (it is killed)."""
    if not os.path.exists(path) or os.path.isdir(path):
        raise FileNotFoundError(path)
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *SAFE_INPUT, "-i", str(path)]
    try:
        result = subprocess.run(command, capture_output=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:  # subprocess.run has killed and reaped ffmpeg
        raise ValueError(f"ffmpeg did not finish reading {path} within {timeout} s") from None
    return result.stderr.decode(errors="replace")


def probe_format(info: str) -> str | None:
    """The demuxer ffmpeg opened the input with ("mov,mp4,m4a,3gp,3g2,mj2", "hls", "concat" …), from its report."""
    match = INPUT_RE.search(info)
    return match.group(1) if match else None


def probe_duration(path: str | os.PathLike, timeout: float = PROBE_TIMEOUT) -> float:
    """Duration in seconds of the video at `path`, read by the bundled ffmpeg.

    Raises FileNotFoundError for a missing file and ValueError for a file ffmpeg does not see as a video (no
    duration, no video stream besides cover art, or a container other than MEDIA_DEMUXERS — a playlist, a concat
    list, an SDP …), or that ffmpeg could not read within `timeout` seconds.
    """
    info = _ffmpeg_info(path, timeout)
    if probe_format(info) not in MEDIA_DEMUXERS:
        container = probe_format(info) or "unreadable"
        raise ValueError(f"{path} is not a video file: {container} is not a plain media container")
    match = DURATION_RE.search(info)
    pictures = [line for line in info.splitlines() if "Video:" in line and "(attached pic)" not in line]
    if match is None or not pictures:  # an MP3's cover art is no video
        raise ValueError(f"{path} is not a video file")
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def make_poster(path_in_mp4: str | os.PathLike, path_out_jpg: str | os.PathLike) -> Path:
    """Save the video's first frame as a JPEG (the <video poster>); returns the JPEG's path."""
    if not os.path.isfile(path_in_mp4):
        raise FileNotFoundError(path_in_mp4)
    out = Path(path_out_jpg)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", "-nostdin", *SAFE_INPUT]
    command += ["-i", str(path_in_mp4), "-frames:v", "1", "-q:v", "3", "-update", "1", str(out)]
    try:
        result = subprocess.run(command, capture_output=True, check=False, timeout=POSTER_TIMEOUT)
    except subprocess.TimeoutExpired:
        out.unlink(missing_ok=True)
        raise ValueError(f"no frame could be read from {path_in_mp4} within {POSTER_TIMEOUT} s") from None
    if result.returncode != 0 or not out.is_file():
        raise ValueError(f"no frame could be read from {path_in_mp4}: {result.stderr.decode(errors='replace').strip()}")
    return out
