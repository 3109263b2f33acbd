"""Every Excel file the platform reads or writes: `read_rows` for an upload, `workbook` and `download` for an export.

Reading: a user's uploaded .xlsx cannot exhaust memory or time. An .xlsx is a zip of XML files. Before openpyxl
sees one, the zip itself is checked: how many entries, their names (no paths out, no nested archives), how they are
compressed (stored or deflated only, never encrypted), how large they say they are — each, together, and against
their compressed size (a zip bomb inflates a few KB into gigabytes) — and then every entry is inflated once, in
small pieces, to prove it is what it says. Only then does openpyxl open it, read-only, and the first sheet's rows
are streamed and counted: reading stops past the caller's limit, so a sheet of a million rows never comes into
memory, and a lying <dimension> cannot hide or invent rows. Formulas are never evaluated (their stored values are
read) and external links are dropped. Every caller (单位统一报名, 花名册, 题库) passes its own limits; the messages
are plain Chinese.

Writing: one `Table` per sheet — lines above the header (a heading, the export time), a header row, the rows,
column widths — streamed by openpyxl's write-only mode. A text cell that starts like a formula (= + - @) is written
as text, so a learner's name or work unit such as `=HYPERLINK(…)` can never run in the office's Excel."""

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .errors import UserError

MB = 1024 * 1024
CHUNK = 64 * 1024
# Blank rows after the last allowed row are tolerated this far (Excel writes <row> elements for rows that were
# only formatted); a row with anything in it past the limit, or any row further down, refuses the file.
BLANK_ROWS_TOLERATED = 20_000
# Compression ratios are judged only for entries larger than this: tiny XML parts compress extremely well.
RATIO_FLOOR = 1 * MB
NESTED_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")
NESTED_SUFFIXES = (
    ".zip",
    ".xlsx",
    ".xlsm",
    ".xlsb",
    ".xls",
    ".docx",
    ".pptx",
    ".jar",
    ".gz",
    ".bz2",
    ".xz",
    ".7z",
    ".rar",
    ".tar",
)

NOT_XLSX = "请上传 .xlsx 格式的 Excel 文件。"
DAMAGED = "这个文件解压后过大或内容异常，系统不能读取。请用 Excel 打开后另存为 .xlsx 文件再上传。"


class NotAWorkbook(UserError):
    """Not an .xlsx at all (callers may word this their own way); any other refusal is a plain UserError."""


@dataclass(frozen=True)
class SheetLimits:
    """How much one upload may hold. `max_rows` counts the sheet's rows from the top, the header included."""

    max_rows: int
    max_bytes: int = 5 * MB
    max_columns: int = 30
    max_unzipped: int = 50 * MB  # all entries together, inflated
    max_entry: int = 25 * MB  # any one entry, inflated
    max_ratio: int = 100  # inflated ÷ compressed, for entries over RATIO_FLOOR
    max_entries: int = 100


def _read_upload(upload, limits: SheetLimits) -> bytes:
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload)
    else:
        if getattr(upload, "size", 0) and upload.size > limits.max_bytes:
            raise UserError(_too_big(limits))
        upload.seek(0)
        data = upload.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise UserError(_too_big(limits))
    return data


def _too_big(limits):
    size = limits.max_bytes / MB
    return f"文件不能超过 {size:g} MB。"


def check_archive(data: bytes, limits: SheetLimits) -> None:
    """Refuse a zip that is not a plain, honestly sized .xlsx. Memory stays at one CHUNK per entry."""
    if not data.startswith(b"PK\x03\x04"):
        raise NotAWorkbook(NOT_XLSX)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise NotAWorkbook(NOT_XLSX) from None
    with archive:
        entries = archive.infolist()
        if not entries or len(entries) > limits.max_entries:
            raise UserError(DAMAGED)
        names = [entry.filename for entry in entries]
        if len(set(names)) != len(names):
            raise UserError(DAMAGED)  # two entries of one name: readers disagree on which is "the" file
        total = 0
        for entry in entries:
            _check_entry(entry, limits)
            total += entry.file_size
            if total > limits.max_unzipped:
                raise UserError(DAMAGED)
        for entry in entries:
            _inflate(archive, entry)


def _check_entry(entry: zipfile.ZipInfo, limits: SheetLimits) -> None:
    name = entry.filename
    odd_name = (
        not name
        or len(name) > 255
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or ":" in name
        or ".." in name.split("/")
        or name.lower().endswith(NESTED_SUFFIXES)
    )
    if odd_name or entry.flag_bits & 0x1:  # encrypted
        raise UserError(DAMAGED)
    if entry.is_dir():
        if entry.file_size:
            raise UserError(DAMAGED)
        return
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UserError(DAMAGED)  # Excel writes stored or deflated entries only; bzip2/LZMA bombs are tinier
    if entry.file_size > limits.max_entry:
        raise UserError(DAMAGED)
    if entry.file_size > RATIO_FLOOR and entry.file_size > limits.max_ratio * max(entry.compress_size, 1):
        raise UserError(DAMAGED)


def _inflate(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """Inflate one entry in small pieces: its CRC must match, it must not be an archive inside the archive, and it
    cannot yield more than it declared (zipfile stops at the declared size and then fails the CRC)."""
    if entry.is_dir():
        return
    seen = 0
    try:
        with archive.open(entry) as stream:
            head = stream.read(8)
            if head.startswith(NESTED_MAGIC):
                raise UserError(DAMAGED)
            seen = len(head)
            while chunk := stream.read(CHUNK):
                seen += len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise UserError(DAMAGED) from None
    if seen != entry.file_size:
        raise UserError(DAMAGED)


def _blank(row) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def read_rows(upload, *, limits: SheetLimits, too_many_rows: str | None = None) -> list[tuple]:
    """The first sheet's rows as tuples of cell values (read-only, computed values, trailing empty cells and rows
    dropped), after the archive checks. Raises NotAWorkbook / UserError with a Chinese message; a sheet with
    content past `limits.max_rows` is refused with `too_many_rows` (or a plain default)."""
    data = _read_upload(upload, limits)
    check_archive(data, limits)
    too_many = too_many_rows or f"表格不能超过 {limits.max_rows} 行（含表头），请分批上传。"
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception:  # noqa: BLE001 - any reader error on a checked archive means a broken workbook
        raise NotAWorkbook(NOT_XLSX) from None
    rows = []
    try:
        if not book.worksheets:
            raise NotAWorkbook(NOT_XLSX)
        sheet = book.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # the stored size can lie: rows are counted as they are read
        cells = sheet.iter_rows(min_row=1, max_col=limits.max_columns, values_only=True)
        for number, row in enumerate(cells, start=1):
            if number > limits.max_rows:
                if not _blank(row) or number > limits.max_rows + BLANK_ROWS_TOLERATED:
                    raise UserError(too_many)
                continue
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            rows.append(tuple(values))
    except UserError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl's parse errors are many and undocumented
        raise NotAWorkbook(NOT_XLSX) from None
    finally:
        book.close()
    while rows and _blank(rows[-1]):
        rows.pop()
    return rows


# --- Writing ---------------------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@")
BOLD = Font(bold=True)
BANNER = (Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1D5FAE"))


@dataclass(frozen=True)
class Table:
    """One sheet. `above`: lines over the header, one cell each; `banner`: the header white on the platform's blue
    (a template people fill in) rather than bold; `freeze`: the header stays in view while scrolling."""

    title: str
    header: Sequence[str] = ()
    rows: Iterable[Sequence] = ()
    widths: Sequence[float] = ()
    above: Sequence[str] = ()
    banner: bool = False
    freeze: bool = False


def _cell(sheet, value, font=None, fill=None):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"  # text as typed, never a formula
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def workbook(*tables: Table) -> bytes:
    """The .xlsx bytes of `tables`, one sheet each, in order."""
    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(table.title)
        for column, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        if table.freeze and table.header:
            sheet.freeze_panes = f"A{len(table.above) + 2}"
        for line in table.above:
            sheet.append([_cell(sheet, line)])
        if table.header:
            font, fill = BANNER if table.banner else (BOLD, None)
            sheet.append([_cell(sheet, name, font, fill) for name in table.header])
        for row in table.rows:
            sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(data: bytes, filename: str) -> HttpResponse:
    """An .xlsx as an attachment named `filename` (Chinese is fine), never kept by a browser or proxy cache."""
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
