"""Caption files: SRT converted to WebVTT, WebVTT cleaned, GBK decoded, markup stripped, bad files refused in words."""

import pytest

from jxjy.catalog import captions
from jxjy.catalog.captions import CaptionError, to_webvtt

SRT = (
    "1\r\n00:00:01,000 --> 00:00:04,500\r\n大家好，欢迎学习职业道德。\r\n第二行\r\n\r\n"
    "2\r\n00:01:05,250 --> 00:01:08,000\r\n请按正常速度观看。\r\n\r\n"
)


def cues_of(vtt):
    """(start, end, text) of each cue of a WebVTT file we wrote."""
    blocks = vtt.split("\n\n")
    assert blocks[0] == "WEBVTT"
    out = []
    for block in filter(None, blocks[1:]):
        timing, *text = block.strip("\n").split("\n")
        start, end = timing.split(" --> ")
        out.append((start, end, "\n".join(text)))
    return out


def test_srt_becomes_webvtt():
    vtt = to_webvtt(SRT.encode("utf-8"))
    assert vtt.startswith("WEBVTT\n\n")
    assert cues_of(vtt) == [
        ("00:00:01.000", "00:00:04.500", "大家好，欢迎学习职业道德。\n第二行"),
        ("00:01:05.250", "00:01:08.000", "请按正常速度观看。"),
    ]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_chinese_files_in_any_common_encoding(encoding):
    assert cues_of(to_webvtt(SRT.encode(encoding)))[0][2] == "大家好，欢迎学习职业道德。\n第二行"


def test_webvtt_is_rebuilt_without_styles_notes_settings_or_ids():
    source = (
        "WEBVTT - 职业道德\n\nSTYLE\n::cue { color: red; background-image: url(http://evil.example/x) }\n\n"
        "NOTE 内部备注\n\nintro\n00:02.000 --> 00:03.500 line:0 position:10%\n<v 讲师><b>你好</b>\n\n"
        "00:00.500 --> 00:01.000\n先说这句\n"
    )
    vtt = to_webvtt(source.encode())
    assert cues_of(vtt) == [
        ("00:00:00.500", "00:00:01.000", "先说这句"),  # put in time order
        ("00:00:02.000", "00:00:03.500", "你好"),
    ]
    for gone in ("STYLE", "NOTE", "intro", "line:0", "evil", "<"):
        assert gone not in vtt


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>安全第一",
        "&lt;img src=x onerror=alert(1)&gt;安全第一",
        '<font color="red"><i>安全第一</i></font>',
        "{\\an8}安全第一",
        "安全\u202e第一\u200b",
    ],
)
def test_markup_never_reaches_the_file(text):
    vtt = to_webvtt(f"1\n00:00:01,000 --> 00:00:02,000\n{text}\n".encode())
    (cue,) = cues_of(vtt)
    assert cue[2] in ("安全第一", "alert(1)安全第一")
    assert "<" not in vtt and "onerror" not in vtt and "\u202e" not in vtt


def test_literal_signs_are_escaped_for_webvtt():
    vtt = to_webvtt("1\n00:00:01,000 --> 00:00:02,000\n电压 3 < 5 & 电流 -->\n".encode())
    assert cues_of(vtt)[0][2] == "电压 3 &lt; 5 &amp; 电流 --&gt;"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", captions.EMPTY),
        (b"hello, this is not a caption file", captions.NOT_CAPTIONS),
        (b"\x00\x00\x00\x18ftypmp42", captions.NOT_CAPTIONS),  # a video renamed .srt
        (b"WEBVTT\n\nNOTE only a note\n", captions.EMPTY),
        (b"1\n00:00:01,000 --> 00:00:02,000\n<b></b>\n", captions.EMPTY),
        (b"\xff\xff\xfe\x80\x81 not text", captions.BAD_ENCODING),
        (b"x" * (captions.MAX_BYTES + 1), captions.TOO_BIG),
    ],
)
def test_refused_files_say_why(data, message):
    with pytest.raises(CaptionError) as refused:
        to_webvtt(data)
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("1\n00:00:05,000 --> 00:00:01,000\n倒着的\n", "第 1 条字幕的时间不对：结束时间要晚于开始时间"),
        ("1\n00:00:01,000 --> 00:00:01,000\n零长度\n", "结束时间要晚于开始时间"),
        ("1\n00:00:01,000 --> 00:00:02,000\n好\n\n2\n00:00:0x,000 --> 00:00:03,000\n坏\n", "第 2 条字幕的时间格式不对"),
        ("1\n25:00:00,000 --> 25:00:01,000\n太长\n", "超过了 24 小时"),
        ("WEBVTT\n\n00:01.000 --> 00:00:02,000\n逗号\n", "第 1 条字幕的时间格式不对"),
        ("WEBVTT\n\n00:61.000 --> 01:02.000\n秒数不对\n", "时间格式不对"),
    ],
)
def test_cue_times_must_be_sane(source, words):
    with pytest.raises(CaptionError) as refused:
        to_webvtt(source.encode())
    assert words in refused.value.message


def test_captions_for_another_video_are_refused_by_its_duration():
    source = "1\n00:00:01,000 --> 00:00:02,000\n开头\n\n2\n00:10:00,000 --> 00:10:02,000\n十分钟处\n".encode()
    with pytest.raises(CaptionError) as refused:
        to_webvtt(source, duration=300)
    assert refused.value.message == "第 2 条字幕从 10:00 开始，但视频只有 5:00。请确认字幕和这个视频是对应的。"
    assert len(cues_of(to_webvtt(source, duration=601))) == 2


def test_blank_line_inside_an_srt_cue_keeps_the_text():
    vtt = to_webvtt(
        "1\n00:00:01,000 --> 00:00:03,000\n上半句\n\n下半句\n\n2\n00:00:04,000 --> 00:00:05,000\n下一条\n".encode()
    )
    assert [cue[2] for cue in cues_of(vtt)] == ["上半句\n下半句", "下一条"]


def test_slides_share_the_video_evenly():
    vtt = captions.from_slides(["公共机构节能管理", "第一章 · 1.1 概述", "  "], 45.2)
    assert cues_of(vtt) == [
        ("00:00:00.000", "00:00:22.600", "公共机构节能管理"),
        ("00:00:22.600", "00:00:45.200", "第一章 · 1.1 概述"),
    ]
    assert to_webvtt(vtt.encode()) == vtt  # what we write is what we accept
