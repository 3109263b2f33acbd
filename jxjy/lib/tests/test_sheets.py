"""jxjy.lib.sheets: an uploaded .xlsx cannot exhaust memory — zip bombs, nested or odd entries and sheets of too
many rows are refused with a plain Chinese message, and memory stays small while refusing them."""

import io
import time
import warnings
import zipfile

import pytest

from jxjy.lib import sheets
from jxjy.lib.errors import UserError
from jxjy.lib.sheets import NotAWorkbook, SheetLimits

from .bombs import (
    bzip2_bomb,
    deflate_bomb,
    far_row_sheet,
    nested_archive,
    peak_memory,
    rows_sheet,
    styles_bomb,
    workbook_bytes,
)

MB = 1024 * 1024
LIMITS = SheetLimits(max_rows=301, max_bytes=2 * MB, max_columns=3, max_unzipped=10 * MB)
PEAK_BOUND = 16 * MB  # the bombs below would take 300 MB and more inside openpyxl


def declared_size(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(item.file_size for item in archive.infolist())


def refused(data, limits=LIMITS, **kwargs):
    with peak_memory() as peak, pytest.raises(UserError) as caught:
        sheets.read_rows(data, limits=limits, **kwargs)
    return caught.value.message, peak()


def test_req_23_deflate_zip_bomb_is_refused_before_it_is_inflated():
    bomb = deflate_bomb()
    assert len(bomb) < 400 * 1024 and declared_size(bomb) > 300 * MB
    started = time.perf_counter()
    message, peak = refused(bomb, SheetLimits(max_rows=5001))  # even the most generous limits of any caller
    assert message == sheets.DAMAGED and "另存为 .xlsx" in message
    assert peak < PEAK_BOUND and time.perf_counter() - started < 2


def test_req_23_bzip2_zip_bomb_of_a_few_kb_is_refused():
    bomb = bzip2_bomb()
    assert len(bomb) < 10 * 1024 and declared_size(bomb) > 300 * MB
    message, peak = refused(bomb, SheetLimits(max_rows=5001))
    assert message == sheets.DAMAGED and peak < PEAK_BOUND


@pytest.mark.parametrize("bomb", [deflate_bomb, bzip2_bomb], ids=["deflate", "bzip2"])
def test_the_bombs_are_real(bomb):
    """What the tests refuse really inflates (zipfile, as openpyxl uses it): the first 2 MB of the styles part."""
    with zipfile.ZipFile(io.BytesIO(bomb())) as archive, archive.open("xl/styles.xml") as styles:
        head = styles.read(2 * MB)
    assert len(head) == 2 * MB and head.startswith(b"<styleSheet") and head.endswith(b" " * MB)


def test_an_entry_compressed_far_beyond_any_spreadsheet_is_refused():
    # Under every size limit, but 5 MB of blanks in 5 KB: the ratio gives it away.
    limits = SheetLimits(max_rows=10, max_unzipped=50 * MB, max_entry=25 * MB)
    message, peak = refused(styles_bomb(["a"], megabytes=5), limits)
    assert message == sheets.DAMAGED and peak < PEAK_BOUND


def test_too_many_rows_are_refused_with_the_callers_message_and_reading_stops():
    data = rows_sheet(["身份证号", "姓名", "技术等级"], 20_000)
    started = time.perf_counter()
    message, peak = refused(data, too_many_rows="一次最多报名 300 人，请分批提交。")
    assert message == "一次最多报名 300 人，请分批提交。"
    assert peak < PEAK_BOUND and time.perf_counter() - started < 2  # 300 rows read, not 20,000
    message, _ = refused(data)
    assert message == "表格不能超过 301 行（含表头），请分批上传。"


def test_a_lying_dimension_neither_hides_nor_drops_rows():
    header = ["身份证号", "姓名", "技术等级"]
    message, _ = refused(rows_sheet(header, 600, dimension="A1:C3"))
    assert "301" in message
    rows = sheets.read_rows(rows_sheet(header, 250, dimension="A1:C3"), limits=LIMITS)
    assert len(rows) == 251 and rows[0] == tuple(header) and rows[-1] == ("v251", "v251", "v251")


def test_one_cell_a_million_rows_down_is_refused_quickly():
    started = time.perf_counter()
    message, peak = refused(far_row_sheet(["身份证号"]))
    assert "301" in message and peak < PEAK_BOUND and time.perf_counter() - started < 2


def test_blank_formatted_rows_after_the_data_are_tolerated():
    data = workbook_bytes([["身份证号", "姓名"], ["1", "张三"], *[[None, " "]] * 400])
    assert sheets.read_rows(data, limits=LIMITS) == [("身份证号", "姓名"), ("1", "张三")]


def test_columns_beyond_the_limit_are_not_read():
    rows = sheets.read_rows(workbook_bytes([["a", "b", "c", "d", "e"], ["1", None, "3", "4"]]), limits=LIMITS)
    assert rows == [("a", "b", "c"), ("1", None, "3")]


def _zip(entries, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", compression) as archive:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we write on purpose
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def _valid_entries():
    with zipfile.ZipFile(io.BytesIO(workbook_bytes([["a"]]))) as archive:
        return [(item.filename, archive.read(item)) for item in archive.infolist()]


@pytest.mark.parametrize(
    "extra",
    [
        [("../../etc/cron.d/x", b"x")],
        [("/abs/path.xml", b"x")],
        [("xl\\windows.xml", b"x")],
        [("xl/workbook.xml", b"<duplicate/>")],
        [("xl/embeddings/inner.xlsx", b"x")],
        [(f"xl/extra{i}.xml", b"<x/>") for i in range(120)],
    ],
    ids=["traversal", "absolute", "backslash", "duplicate", "nested-name", "too-many-entries"],
)
def test_odd_entries_are_refused(extra):
    message, _ = refused(_zip(_valid_entries() + extra))
    assert message == sheets.DAMAGED


def test_an_archive_inside_the_workbook_is_refused_by_its_content():
    message, _ = refused(nested_archive(["a"]))
    assert message == sheets.DAMAGED


def test_a_corrupted_entry_is_refused_before_openpyxl():
    data = bytearray(_zip(_valid_entries(), zipfile.ZIP_STORED))
    spot = data.index(b"<sheetData")  # stored, so the XML is there as bytes: break its CRC
    data[spot + 1 : spot + 2] = b"S"
    message, _ = refused(bytes(data))
    assert message == sheets.DAMAGED


@pytest.mark.parametrize("data", [b"<html><script>alert(1)</script></html>", b"PK\x03\x04 not really a zip", b""])
def test_not_a_workbook(data):
    with pytest.raises(NotAWorkbook) as caught:
        sheets.read_rows(data, limits=LIMITS)
    assert caught.value.message == "请上传 .xlsx 格式的 Excel 文件。"


def test_the_upload_size_limit_is_checked_first():
    message, _ = refused(b"PK\x03\x04" + b"0" * (2 * MB))
    assert message == "文件不能超过 2 MB。"


def test_an_ordinary_workbook_reads_as_rows():
    data = workbook_bytes([["身份证号", "姓名", "技术等级"], ["320102199001011234", "张三", None], [None, None, None]])
    assert sheets.read_rows(data, limits=LIMITS) == [("身份证号", "姓名", "技术等级"), ("320102199001011234", "张三")]
