"""A courseware's captions: an uploaded WebVTT or SRT file checked and rewritten as clean WebVTT, the file attached
to (or removed from) the courseware, and captions made from a demo slide's lines.

Whatever comes in, what is stored is rebuilt from parsed cues: plain text only (every tag and style block dropped,
`<` `>` `&` escaped), times in order and within bounds. So a caption can never carry markup into the player, and
the browser only ever meets one well-formed format."""

import html
import re
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from jxjy.lib.errors import UserError

MAX_BYTES = 1024 * 1024  # a two-hour lecture's SRT is about 100 KB
MAX_CUES = 10_000
MAX_SECONDS = 24 * 3600
# Cues may run a little past the end the video's container reports.
DURATION_SLACK = 5.0

NOT_CAPTIONS = "只能上传 WebVTT（.vtt）或 SRT（.srt）格式的字幕文件，请检查后重新选择。"
MAX_SIZE_TEXT = f"{MAX_BYTES // (1024 * 1024)} MB"
TOO_BIG = f"字幕文件太大：不能超过 {MAX_SIZE_TEXT}，请检查是不是选错了文件。"
EMPTY = "字幕文件里没有字幕内容，请检查后重新选择。"
BAD_ENCODING = "字幕文件的文字编码无法识别，请用记事本“另存为”UTF-8 编码后再上传。"


class CaptionError(UserError):
    """A caption file refused, with the reason in plain Chinese for the content editor."""


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


# hh:mm:ss.ttt (WebVTT: hours optional, "." before exactly three digits; SRT: "," or ".", hours required)
VTT_TIME = r"(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
SRT_TIME = r"(\d{1,3}):([0-5]?\d):([0-5]?\d)[,.](\d{1,3})"
VTT_TIMING = re.compile(rf"^{VTT_TIME}[ \t]+-->[ \t]+{VTT_TIME}(?:[ \t].*)?$")
SRT_TIMING = re.compile(rf"^{SRT_TIME}[ \t]*-->[ \t]*{SRT_TIME}(?:[ \t].*)?$")
VTT_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
# Tags (HTML, WebVTT's <v 讲师>, <c.x>, timestamps <00:01.000>); a lone "<" in the text ("3 < 5") is kept.
TAG = re.compile(r"<(?:/?[A-Za-z!?][^<>]*|\d[\d:.]*)>")
ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")  # {\an8}, {\i1}: SRT files made by subtitle tools carry these
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030 (which covers GBK and GB2312,
    what Chinese Windows tools save SRT files in). Binary data (a NUL byte) is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise CaptionError(BAD_ENCODING) from None
    else:
        if b"\x00" in data:
            raise CaptionError(NOT_CAPTIONS)
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CaptionError(BAD_ENCODING)
    if "\x00" in text:
        raise CaptionError(NOT_CAPTIONS)
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _seconds(hours, minutes, seconds, fraction):
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def clean_text(lines) -> str:
    """A cue's text as plain lines: tags and subtitle-tool overrides dropped (also those that were written as
    entities), invisible and control characters removed, blank lines dropped."""
    kept = []
    for line in lines:
        line = TAG.sub("", ASS_OVERRIDE.sub("", line))
        line = TAG.sub("", html.unescape(line))
        line = " ".join(CONTROL.sub("", line).split())
        if line:
            kept.append(line)
    return "\n".join(kept)


def _blocks(text):
    return [block.split("\n") for block in re.split(r"\n[ \t]*\n", text.strip("\n")) if block.strip()]


def parse_webvtt(text: str) -> list[Cue]:
    blocks = _blocks(text)
    if not blocks or not VTT_HEADER.match(blocks[0][0].strip()):
        raise CaptionError(NOT_CAPTIONS)
    cues = []
    for block in blocks[1:]:
        # A cue's timing is its first line, or its second after an identifier; any other block (NOTE, STYLE,
        # REGION, stray text) is skipped, as browsers do, and never passed on.
        timing_at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        if timing_at is None:
            continue
        if not (match := VTT_TIMING.match(block[timing_at].strip())):
            raise CaptionError(f"第 {len(cues) + 1} 条字幕的时间格式不对（应为 00:01:02.500 --> 00:01:05.000）。")
        groups = match.groups()
        cues.append(Cue(_seconds(*groups[:4]), _seconds(*groups[4:]), clean_text(block[timing_at + 1 :])))
    return cues


def parse_srt(text: str) -> list[Cue]:
    cues = []
    for block in _blocks(text):
        timing_at = 1 if block[0].strip().isdigit() and len(block) > 1 else 0
        match = SRT_TIMING.match(block[timing_at].strip())
        if match is None:
            if not cues:
                raise CaptionError(NOT_CAPTIONS)
            if block[0].strip().isdigit() or "-->" in block[timing_at]:
                raise CaptionError(f"第 {len(cues) + 1} 条字幕的时间格式不对（应为 00:01:02,500 --> 00:01:05,000）。")
            # A blank line inside a cue's text (common in hand-edited files): the text goes on.
            last = cues.pop()
            cues.append(Cue(last.start, last.end, "\n".join(filter(None, [last.text, clean_text(block)]))))
            continue
        groups = match.groups()
        cues.append(Cue(_seconds(*groups[:4]), _seconds(*groups[4:]), clean_text(block[timing_at + 1 :])))
    return cues


def _clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def _plain_clock(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, rest = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


def check_cues(cues, *, duration=None) -> list[Cue]:
    """The cues with text, in time order; CaptionError for none, too many, or times that cannot be right."""
    if len(cues) > MAX_CUES:
        raise CaptionError(f"字幕条数太多：不能超过 {MAX_CUES} 条。")
    for number, cue in enumerate(cues, 1):
        if cue.end <= cue.start:
            raise CaptionError(f"第 {number} 条字幕的时间不对：结束时间要晚于开始时间。")
        if cue.end > MAX_SECONDS:
            raise CaptionError(f"第 {number} 条字幕的时间不对：超过了 24 小时。")
        if duration and cue.start > duration + DURATION_SLACK:
            raise CaptionError(
                f"第 {number} 条字幕从 {_plain_clock(cue.start)} 开始，但视频只有 {_plain_clock(duration)}。"
                "请确认字幕和这个视频是对应的。"
            )
    kept = sorted((cue for cue in cues if cue.text), key=lambda cue: (cue.start, cue.end))
    if not kept:
        raise CaptionError(EMPTY)
    return kept


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(cues) -> str:
    """Cues as a WebVTT file: plain, escaped text, no identifiers, settings or styles."""
    parts = ["WEBVTT\n"]
    parts += [f"{_clock(cue.start)} --> {_clock(cue.end)}\n{_escape(cue.text)}\n" for cue in cues]
    return "\n".join(parts)


def to_webvtt(data: bytes, *, duration=None) -> str:
    """A caption file's bytes (WebVTT or SRT, UTF-8 or GBK/GB18030) checked and rewritten as clean WebVTT.
    `duration`, the video's length in seconds when known, refuses captions made for another, longer video.
    CaptionError says in plain words why a file is refused."""
    if len(data) > MAX_BYTES:
        raise CaptionError(TOO_BIG)
    text = decode(data)
    if not text.strip():
        raise CaptionError(EMPTY)
    first = text.lstrip("\n").split("\n", 1)[0].strip()
    cues = parse_webvtt(text) if first.startswith("WEBVTT") else parse_srt(text)
    return render(check_cues(cues, duration=duration))


def read_upload(upload, *, duration=None) -> str:
    """An uploaded caption file as clean WebVTT (reads no more than the size cap allows)."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise CaptionError(TOO_BIG)
    upload.seek(0)
    return to_webvtt(upload.read(MAX_BYTES + 1), duration=duration)


def summary(courseware, sample=3):
    """For the edit page: how many cues the courseware's stored captions have and the first few texts; None when it
    has none (or the file has gone missing)."""
    if not courseware.captions:
        return None
    try:
        with courseware.captions.open("rb") as handle:
            cues = parse_webvtt(decode(handle.read()))
    except (OSError, CaptionError):
        return None
    return {"count": len(cues), "sample": [cue.text for cue in cues[:sample]]}


def from_slides(texts, seconds: float) -> str:
    """Captions for a slide video: the texts one after another, sharing its `seconds` evenly."""
    texts = [text for text in (clean_text([t]) for t in texts) if text]
    if not texts or seconds <= 0:
        raise ValueError("captions need text and a positive duration")
    step = seconds / len(texts)
    return render(Cue(i * step, (i + 1) * step, text) for i, text in enumerate(texts))


def attach(courseware, vtt: str):
    """Give the (unsaved) courseware a new caption file; the one it replaces is deleted once the save commits."""
    old_name, storage = courseware.captions.name, courseware.captions.storage
    courseware.captions.save("captions.vtt", ContentFile(vtt.encode("utf-8")), save=False)
    if old_name:
        transaction.on_commit(lambda: storage.delete(old_name))


def detach(courseware):
    """Take the captions off the (unsaved) courseware; the file is deleted once the save commits."""
    old_name, storage = courseware.captions.name, courseware.captions.storage
    if old_name:
        courseware.captions = ""
        transaction.on_commit(lambda: storage.delete(old_name))
