"""jxjy.lib.sheets writes every export and template: lines above a header, the header, the rows, column widths —
and a text that starts like a formula (= + - @) is stored as text, never as a formula Excel would run."""

import io
import zipfile

from openpyxl import load_workbook

from jxjy.lib import sheets

INJECTIONS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]


def read(data):
    return load_workbook(io.BytesIO(data))


def test_text_that_starts_like_a_formula_is_written_as_text():
    data = sheets.workbook(sheets.Table("名单", header=["姓名"], rows=[[value] for value in INJECTIONS]))
    cells = [row[0] for row in read(data)["名单"].iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == INJECTIONS
    assert all(cell.data_type == "s" for cell in cells)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_numbers_stay_numbers_and_the_layout_is_kept():
    table = sheets.Table(
        "年度统计",
        above=["2026年度继续教育统计（全省）", "导出时间：2026-12-06 10:00"],
        header=["地市", "报名人数"],
        rows=[["南京市", 12], ["合计", -3.5]],
        widths=[12, 20],
        freeze=True,
    )
    sheet = read(sheets.workbook(table, sheets.Table("填写说明", rows=[["说明"]])))["年度统计"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["2026年度继续教育统计（全省）", None],
        ["导出时间：2026-12-06 10:00", None],
        ["地市", "报名人数"],
        ["南京市", 12],
        ["合计", -3.5],
    ]
    assert sheet["B5"].data_type == "n"
    assert sheet["A3"].font.b and not sheet["A4"].font.b
    assert sheet.column_dimensions["A"].width == 12 and sheet.column_dimensions["B"].width == 20
    assert sheet.freeze_panes == "A4"


def test_a_template_header_is_a_banner_and_a_second_sheet_follows():
    book = read(sheets.workbook(sheets.Table("题库", header=["题型"], banner=True), sheets.Table("填写说明")))
    assert book.sheetnames == ["题库", "填写说明"]
    assert book["题库"]["A1"].font.color.rgb.endswith("FFFFFF") and book["题库"]["A1"].fill.fgColor.rgb.endswith(
        "1D5FAE"
    )


def test_download_is_a_private_attachment_with_its_chinese_name():
    response = sheets.download(b"PK", "年度统计-2026.xlsx")
    assert response["Content-Type"] == sheets.XLSX
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "%E5%B9%B4%E5%BA%A6" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
