"""The printed 继续教育证书: one A4 page drawn with reportlab, in the embedded Chinese font of jxjy.lib.pdf.

The QR code (the `qrcode` package's matrix, drawn as vector squares) holds the absolute verification URL."""

import datetime
import io
from xml.sax.saxutils import escape

import qrcode
from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, Table, TableStyle

from jxjy.catalog.models import Category
from jxjy.lib.pdf import (
    BRAND,
    BRAND_LIGHT,
    GOLD,
    GREY_LIGHT,
    INK,
    MUTED,
    a4_canvas,
    chinese_date,
    font,
    table_style,
    text_style,
    title_block,
)

from .signing import canonical_json

QR_BOX = (A4[0] - 80 - 120, 150, 120)  # x, y (from the bottom) and size of the QR code, in points


def _draw_qr(pdf, data: str, x: float, y: float, size: float):
    """The QR code as filled squares, each row's dark runs merged (no hairline gaps when printed)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    pdf.setFillColor(colors.white)
    pdf.rect(x - 2 * cell, y - 2 * cell, size + 4 * cell, size + 4 * cell, stroke=0, fill=1)  # the quiet zone
    pdf.setFillColor(colors.black)
    for row, modules in enumerate(matrix):
        top = y + size - (row + 1) * cell
        start = None
        for col, dark in enumerate([*modules, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                pdf.rect(x + start * cell, top, (col - start) * cell, cell, stroke=0, fill=1)
                start = None


def render_certificate(certificate, *, name: str, verify_url: str) -> bytes:
    """The certificate's PDF: `name` is the holder's full name (the signed content keeps it masked)."""
    face = font()
    content = certificate.content
    out = io.BytesIO()
    width, height = A4
    pdf = a4_canvas(out, title=f"{content['year']}年度继续教育证书 {content['number']}")
    # Everything a third party needs to check the signature offline, with the platform's public key.
    pdf.setSubject(canonical_json(content).decode())
    pdf.setKeywords(f"Ed25519 signature: {certificate.signature}")

    # Frame: a brand-blue border and a thin gold line inside it.
    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(4)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setStrokeColor(GOLD)
    pdf.setLineWidth(1)
    pdf.rect(38, 38, width - 76, height - 76)

    title_block(
        pdf,
        top=height - 100,
        kicker="江苏省机关事业单位工勤人员",
        title="继续教育证书",
        year=content["year"],
        sizes=(15, 36, 16),
        gaps=(50, 32),
    )
    pdf.setStrokeColor(GOLD)
    pdf.setLineWidth(1.5)
    pdf.line(width / 2 - 90, height - 196, width / 2 + 90, height - 196)

    unit = f"，工作单位：{escape(content['unit'])}" if content.get("unit") else ""
    text_width = width - 2 * 80
    for size, leading in ((15, 30), (13, 24), (11, 18)):  # a long 工作单位 gets a smaller type, never overlaps
        holder = f'<font size="{size + 4}" color="#144682">{escape(name)}</font>'
        text = (
            f"兹证明 {holder}（身份证号 {escape(content['id_number'])}）{unit}，参加江苏省机关事业单位工勤人员 "
            f"{content['year']} 年度继续教育，完成学时如下，经考核，结果为{escape(content['result'])}。"
        )
        paragraph = Paragraph(text, text_style("body", size=size, leading=leading, alignment=TA_JUSTIFY))
        _, used = paragraph.wrapOn(pdf, text_width, 300)
        if used <= 100:
            break
    top = height - 230
    paragraph.drawOn(pdf, 80, top - used)

    labels = dict(Category.choices)
    rows = [["课程类别", "完成学时"]]
    rows += [[labels[key], f"{hours} 学时"] for key, hours in content["hours"].items() if key in labels]
    rows.append(["合计", f"{content['total']} 学时"])
    table = Table(rows, colWidths=[180, 160], rowHeights=30)
    table.setStyle(
        TableStyle(
            [
                *table_style(size=14, grid=0.8),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("BACKGROUND", (0, 0), (-1, 0), BRAND_LIGHT),
                ("BACKGROUND", (0, -1), (-1, -1), GREY_LIGHT),
            ]
        )
    )
    table_width, table_height = table.wrapOn(pdf, width, height)
    table_top = top - used - 30
    table.drawOn(pdf, (width - table_width) / 2, table_top - table_height)

    result_y = table_top - table_height - 44
    pdf.setFont(face, 18)
    pdf.setFillColor(INK)
    pdf.drawCentredString(width / 2, result_y, f"考核结果：{content['result']}")

    # Bottom: the facts that identify the certificate on the left, the QR code on the right.
    qr_x, qr_y, qr_size = QR_BOX
    _draw_qr(pdf, verify_url, qr_x, qr_y, qr_size)
    pdf.setFont(face, 10)
    pdf.setFillColor(MUTED)
    pdf.drawCentredString(qr_x + qr_size / 2, qr_y - 14, "扫码核验证书真伪")

    pdf.setFillColor(INK)
    pdf.setFont(face, 12)
    facts = [
        f"证书编号：{content['number']}",
        f"校　验　码：{certificate.check_code_display}",
        f"发证日期：{chinese_date(datetime.date.fromisoformat(content['issued']))}",
        "发证平台：江苏省机关事业单位工勤人员",
        "　　　　　继续教育网络培训平台",
    ]
    for i, line in enumerate(facts):
        pdf.drawString(80, 252 - i * 22, line)

    pdf.setFont(face, 7)
    pdf.setFillColor(MUTED)
    small = [
        f"核验网址：{verify_url}",
        "也可打开平台的“证书核验”页，输入证书编号和校验码查询。",
        "平台电子签名（Ed25519），覆盖证书编号、姓名与身份证号（部分隐藏）、单位、年度、学时、结果和发证日期：",
        certificate.signature,
    ]
    for i, line in enumerate(small):
        pdf.drawString(80, 104 - i * 11, line)

    pdf.showPage()
    pdf.save()
    return out.getvalue()
