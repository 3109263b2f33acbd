"""The 学员操作手册 as a PDF: the manual's text (学员操作手册.txt beside this file, one heading or paragraph a line)
set on A4 pages in the platform's Chinese font (jxjy.lib.pdf), built once per process and kept in memory."""

import io
import re
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from jxjy.lib.pdf import BRAND, MUTED, font, text_style

TEXT = Path(__file__).with_name("学员操作手册.txt")
TITLE = "学员操作手册"
COVER_LINES = 4  # platform name (two lines), the title, the version
HEADINGS = (
    (re.compile(r"^[一二三四五六七八九十]+、"), "h1"),
    (re.compile(r"^[(（][一二三四五六七八九十]+[)）]"), "h2"),
    (re.compile(r"^\d+、"), "h3"),
)
_lock = threading.Lock()
_built: dict = {}


def _styles() -> dict:
    return {
        "cover": text_style("cover", size=20, leading=30, alignment=TA_CENTER),
        "title": text_style("title", size=28, leading=42, alignment=TA_CENTER, textColor=BRAND, spaceBefore=12),
        "version": text_style("version", size=12, leading=20, alignment=TA_CENTER, textColor=MUTED, spaceAfter=24),
        "h1": text_style("h1", size=18, leading=26, textColor=BRAND, spaceBefore=18, spaceAfter=8),
        "h2": text_style("h2", size=15, leading=22, spaceBefore=12, spaceAfter=6),
        "h3": text_style("h3", size=13, leading=20, spaceBefore=8, spaceAfter=4),
        "body": text_style("body", size=12, leading=21, spaceAfter=6, firstLineIndent=24),
    }


def _style_of(line: str) -> str:
    for pattern, style in HEADINGS:
        if pattern.match(line) and len(line) < 24:
            return style
    return "body"


def _flowables(lines: list[str], styles: dict) -> list:
    cover, rest = lines[:COVER_LINES], lines[COVER_LINES:]
    names = ["cover", "cover", "title", "version"]
    story = [Paragraph(escape(line), styles[name]) for line, name in zip(cover, names, strict=False)]
    story.append(Spacer(1, 6 * mm))
    story += [Paragraph(escape(line), styles[_style_of(line)]) for line in rest]
    return story


def _footer(canvas, doc):
    canvas.saveState()
    canvas.setFont(font(), 9)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(A4[0] / 2, 12 * mm, f"{settings.SITE_NAME} · {TITLE} · 第 {doc.page} 页")
    canvas.restoreState()


def render(text: str) -> bytes:
    """The PDF of the manual `text`."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=TITLE,
        author=settings.SITE_NAME,
        creator=settings.SITE_NAME,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
    )
    doc.build(_flowables(lines, _styles()), onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def manual_pdf() -> bytes:
    """The manual's PDF, built on first use and again only when the text file changes."""
    key = (TEXT.stat().st_mtime_ns, settings.PDF_FONT)
    with _lock:
        if _built.get("key") != key:
            _built["pdf"] = render(TEXT.read_text(encoding="utf-8"))
            _built["key"] = key
        return _built["pdf"]
