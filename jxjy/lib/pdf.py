"""What every printed page of the platform shares (the 继续教育证书, the 面授班报名表): the embedded Chinese font, the
palette, an A4 canvas carrying the platform's name, the centred title block, the table and text styles, and dates
written as 2026年3月5日.

Chinese text is set in settings.PDF_FONT (a TrueType font; the first face of a .ttc), registered as a reportlab
TTFont so that the subset of glyphs used is embedded: a page prints the same everywhere and its text can be
extracted."""

import datetime

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "JXJY-CJK"
BRAND = colors.HexColor("#1d5fae")
BRAND_LIGHT = colors.HexColor("#e8f0fb")  # a table's heading row or section rows
GREY_LIGHT = colors.HexColor("#f4f6f9")  # a table's label column or total row
GOLD = colors.HexColor("#b8892b")
INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#5a6270")
_registered: dict = {}


def font() -> str:
    """Register settings.PDF_FONT once per process (parsing the font takes ~0.3 s) and return its name."""
    path = settings.PDF_FONT
    if path not in _registered:
        name = f"{FONT}-{len(_registered)}"
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        _registered[path] = name
    return _registered[path]


def a4_canvas(out, *, title: str) -> canvas.Canvas:
    """An A4 canvas writing to `out`, in the Chinese font at 12 pt, titled `title` and signed by the platform."""
    pdf = canvas.Canvas(out, pagesize=A4, initialFontName=font(), initialFontSize=12, pageCompression=1)
    pdf.setTitle(title)
    pdf.setAuthor(settings.SITE_NAME)
    pdf.setCreator(settings.SITE_NAME)
    return pdf


def title_block(pdf, *, top: float, kicker: str, title: str, year, sizes: tuple, gaps: tuple) -> None:
    """Three lines centred on the A4 page from `top` down: `kicker` (ink), `title` (brand blue) and
    "（2026 年度）" (ink), at font `sizes`, the title `gaps[0]` below the kicker and the year `gaps[1]` below it."""
    face = font()
    middle = A4[0] / 2
    kicker_size, title_size, year_size = sizes
    title_gap, year_gap = gaps
    pdf.setFillColor(INK)
    pdf.setFont(face, kicker_size)
    pdf.drawCentredString(middle, top, kicker)
    pdf.setFillColor(BRAND)
    pdf.setFont(face, title_size)
    pdf.drawCentredString(middle, top - title_gap, title)
    pdf.setFillColor(INK)
    pdf.setFont(face, year_size)
    pdf.drawCentredString(middle, top - title_gap - year_gap, f"（{year} 年度）")


def text_style(name: str, *, size: float, leading: float, **options) -> ParagraphStyle:
    """A paragraph style in the Chinese font and ink, wrapping between any two Chinese characters."""
    face = font()
    # bulletFontName too: reportlab's default (Times-Roman) would otherwise be referenced, unembedded.
    options = {"fontName": face, "bulletFontName": face, "wordWrap": "CJK", "textColor": INK, **options}
    return ParagraphStyle(name, fontSize=size, leading=leading, **options)


def table_style(*, size: float, grid: float) -> list:
    """The commands every table starts with: the Chinese font at `size`, ink, centred vertically, a brand-blue grid
    `grid` points wide."""
    return [
        ("FONTNAME", (0, 0), (-1, -1), font()),
        ("FONTSIZE", (0, 0), (-1, -1), size),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("GRID", (0, 0), (-1, -1), grid, BRAND),
    ]


def chinese_date(value: datetime.date) -> str:
    """2026年3月5日."""
    return f"{value.year}年{value.month}月{value.day}日"
