"""打印报名表: one A4 page drawn with reportlab, in the embedded Chinese font of jxjy.lib.pdf (so it prints the same
everywhere and its text can be extracted). Personal numbers are masked, as on screen."""

import io
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, Table, TableStyle

from jxjy.lib.pdf import (
    BRAND,
    BRAND_LIGHT,
    GREY_LIGHT,
    MUTED,
    a4_canvas,
    chinese_date,
    font,
    table_style,
    text_style,
    title_block,
)


def _hours(value) -> str:
    return f"{value.normalize():f}"


def render_booking_form(booking, *, user) -> bytes:
    """The 面授班报名表 of `booking` (its owner `user`): who, which class, where and when, the hours, the number."""
    face = font()
    face_class = booking.face_class
    out = io.BytesIO()
    width, height = A4
    pdf = a4_canvas(out, title=f"面授班报名表 {booking.number}")
    title_block(
        pdf,
        top=height - 72,
        kicker="江苏省机关事业单位工勤人员继续教育",
        title="面授班报名表",
        year=face_class.year_id,
        sizes=(14, 26, 12),
        gaps=(36, 24),
    )

    cell = text_style("cell", size=12, leading=17)

    def text(value):
        return Paragraph(escape(str(value or "—")), cell)

    hours = (
        f"共 {_hours(face_class.total_hours)} 学时（公共课 {_hours(face_class.public_hours)} · "
        f"专业课 {_hours(face_class.professional_hours)} · 选修课 {_hours(face_class.elective_hours)}）"
    )
    dates = chinese_date(face_class.start_date)
    if face_class.end_date != face_class.start_date:
        dates += f" 至 {chinese_date(face_class.end_date)}"
    booked_at = timezone.localtime(booking.booked_at or booking.created_at)
    rows = [
        ["学员信息", ""],
        ["姓　　名", text(user.name)],
        ["身份证号", text(user.id_number_masked)],
        ["手 机 号", text(user.mobile_masked)],
        ["工作单位", text(user.work_unit)],
        ["所属地市", text(user.city.name if user.city else "")],
        ["面授班信息", ""],
        ["班级名称", text(face_class.title)],
        ["举办地市", text(face_class.city.name)],
        ["培训地点", text(face_class.venue)],
        ["培训日期", text(dates)],
        ["学　　时", text(hours)],
        ["咨询电话", text(face_class.contact)],
        ["报名信息", ""],
        ["报名编号", text(booking.number)],
        ["报名时间", text(f"{booked_at:%Y-%m-%d %H:%M}")],
        ["报名状态", text(booking.get_status_display())],
    ]
    sections = [i for i, row in enumerate(rows) if row[1] == ""]
    style = [
        *table_style(size=12, grid=0.7),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (0, -1), GREY_LIGHT),
    ]
    for i in sections:
        style += [
            ("SPAN", (0, i), (1, i)),
            ("BACKGROUND", (0, i), (1, i), BRAND_LIGHT),
            ("TEXTCOLOR", (0, i), (1, i), BRAND),
        ]
    table = Table(rows, colWidths=[96, width - 2 * 64 - 96])
    table.setStyle(TableStyle(style))
    _, table_height = table.wrapOn(pdf, width - 2 * 64, height)
    table_top = height - 156
    table.drawOn(pdf, 64, table_top - table_height)

    y = table_top - table_height - 34
    pdf.setFont(face, 12)
    notes = [
        "报名须知：",
        "1. 请携带本人身份证和本报名表，按时到培训地点参训，不得迟到早退。",
        "2. 参训并经考勤登记为“已参训”后，本班学时计入当年继续教育档案。",
        "3. 报名后三天内可在“面授班”中取消报名；超过三天请联系所在地市工考办。",
    ]
    for i, line in enumerate(notes):
        pdf.drawString(64, y - i * 20, line)

    pdf.setFont(face, 9)
    pdf.setFillColor(MUTED)
    pdf.drawString(64, 56, f"打印时间：{timezone.localtime():%Y-%m-%d %H:%M}　　{settings.SITE_NAME}")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
