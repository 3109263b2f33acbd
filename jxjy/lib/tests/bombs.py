"""Hostile .xlsx files, built in the test (no binary in the repository): zip bombs and sheets of too many rows."""

import bz2
import functools
import io
import struct
import tracemalloc
import zipfile
import zlib
from contextlib import contextmanager

from openpyxl import Workbook

MB = 1024 * 1024


def workbook_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rebuild(template: bytes, replace: dict, compression=zipfile.ZIP_DEFLATED, level=6) -> bytes:
    """`template` with the entries named in `replace` rewritten: name → iterable of byte chunks (streamed, so the
    inflated size never has to fit in the test's memory)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as src,
        zipfile.ZipFile(out, "w", compression, compresslevel=level) as dst,
    ):
        for info in src.infolist():
            if info.filename not in replace:
                dst.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
        for name, chunks in replace.items():
            with dst.open(name, "w", force_zip64=True) as handle:
                for chunk in chunks:
                    handle.write(chunk)
    return out.getvalue()


# --- Zip bombs, written by hand: the repeated part is compressed once and its bytes repeated, so a 300 MB bomb is
# built in a fraction of a second (a compressor would take seconds, bzip2 many) and is still exactly what a
# compressor would accept as valid — zipfile, and so openpyxl, inflates it to the full size with a matching CRC.


def _zip(entries) -> bytes:
    """A zip of (name, method, crc32, inflated size, compressed bytes) entries."""
    out, central = bytearray(), bytearray()
    for name, method, crc, size, data in entries:
        offset, raw = len(out), name.encode()
        version = 46 if method == zipfile.ZIP_BZIP2 else 20
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, version, 0, method, 0, 0x21, crc, len(data), size, len(raw), 0)
        out += raw + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, 0, method, 0, 0x21, crc, len(data), size, len(raw),
            0, 0, 0, 0, 0, offset,
        ) + raw  # fmt: skip
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    return bytes(out + central + end)


def _deflate(data: bytes, final=True) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _repeat_deflate(prefix, unit, count, suffix) -> bytes:
    # A full flush makes each compressed piece stand alone and end on a byte boundary: pieces can be concatenated.
    return _deflate(prefix, False) + _deflate(unit, False) * count + _deflate(suffix)


BZ_BLOCK, BZ_END = 0x314159265359, 0x177245385090  # bzip2's block and end-of-stream markers (bit-aligned)


def _bzip2_block(data: bytes):
    """The single block of bzip2(data, level 1) as (bits as an int, bit length, block CRC)."""
    stream = bz2.compress(data, 1)
    value, bits = int.from_bytes(stream, "big"), len(stream) * 8
    for end in range(bits - 80, 32, -1):
        if (value >> (bits - end - 48)) & (2**48 - 1) == BZ_END:
            length = end - 32
            block = (value >> (bits - end)) & ((1 << length) - 1)
            assert block >> (length - 48) == BZ_BLOCK, "more than one block"
            return block, length, (block >> (length - 80)) & 0xFFFFFFFF
    raise ValueError("no end-of-stream marker")


def _repeat_bzip2(prefix, unit, count, suffix) -> bytes:
    # Blocks are independent; the stream CRC combines the block CRCs (rotate left 1, xor).
    value, bits, combined = int.from_bytes(b"BZh1", "big"), 32, 0
    for block, length, crc in [_bzip2_block(prefix), *[_bzip2_block(unit)] * count, _bzip2_block(suffix)]:
        value, bits = (value << length) | block, bits + length
        combined = (((combined << 1) | (combined >> 31)) & 0xFFFFFFFF) ^ crc
    value, bits = (((value << 48) | BZ_END) << 32) | combined, bits + 80
    pad = -bits % 8
    return (value << pad).to_bytes((bits + pad) // 8, "big")


def styles_bomb(header, megabytes=300, method=zipfile.ZIP_DEFLATED) -> bytes:
    """A real workbook (the caller's header row, one data row) whose styles part is padded with `megabytes` MB of
    blanks: openpyxl reads that part whole into memory before any row, even read-only. Deflated: ~300 KB for
    300 MB; bzip2 (which Excel never writes, but zipfile and so openpyxl read just as well): ~3 KB."""
    template = workbook_bytes([header, ["张三"] * len(header)])
    entries = []
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename != "xl/styles.xml":
                entries.append((info.filename, zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), _deflate(data)))
                continue
            cut = data.index(b">", data.index(b"<styleSheet")) + 1
            prefix, suffix = data[:cut], data[cut:]
            unit = b" " * (MB if method == zipfile.ZIP_DEFLATED else 4 * MB)  # one bzip2 block holds ~4 MB of blanks
            count = megabytes * MB // len(unit)
            crc = zlib.crc32(prefix)
            for _ in range(count):
                crc = zlib.crc32(unit, crc)
            crc = zlib.crc32(suffix, crc)
            repeat = _repeat_deflate if method == zipfile.ZIP_DEFLATED else _repeat_bzip2
            size = len(prefix) + count * len(unit) + len(suffix)
            entries.append((info.filename, method, crc, size, repeat(prefix, unit, count, suffix)))
    return _zip(entries)


@functools.cache
def deflate_bomb(megabytes=300) -> bytes:
    """The classic: ~300 KB of deflate that inflates to 300 MB."""
    return styles_bomb(["身份证号", "姓名", "技术等级"], megabytes)


@functools.cache
def bzip2_bomb(megabytes=300) -> bytes:
    """A few KB that inflate to hundreds of MB."""
    return styles_bomb(["身份证号", "姓名", "技术等级"], megabytes, zipfile.ZIP_BZIP2)


def rows_sheet(header, rows: int, dimension: str | None = None) -> bytes:
    """A workbook whose first sheet has the header and `rows` data rows (written straight as XML, fast), with an
    optional lying <dimension ref>."""
    template = workbook_bytes([header])
    width = len(header)
    letters = [chr(ord("A") + i) for i in range(width)]

    def cell(letter, number, text):
        return f'<c r="{letter}{number}" t="inlineStr"><is><t>{text}</t></is></c>'

    def chunks():
        ref = dimension or f"A1:{letters[-1]}{rows + 1}"
        yield (
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><dimension ref="{ref}"/><sheetData>'
        ).encode()
        yield ('<row r="1">' + "".join(cell(x, 1, h) for x, h in zip(letters, header, strict=True)) + "</row>").encode()
        batch = []
        for number in range(2, rows + 2):
            batch.append(f'<row r="{number}">' + "".join(cell(x, number, f"v{number}") for x in letters) + "</row>")
            if len(batch) == 1000:
                yield "".join(batch).encode()
                batch = []
        yield ("".join(batch) + "</sheetData></worksheet>").encode()

    return _rebuild(template, {"xl/worksheets/sheet1.xml": chunks()})


def far_row_sheet(header, row_number=1_048_576) -> bytes:
    """The header, then one cell at a row far down (openpyxl would fill every row in between)."""
    template = workbook_bytes([header])
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><dimension ref="A1:A2"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        f'{header[0]}</t></is></c></row><row r="{row_number}"><c r="A{row_number}" t="inlineStr"><is><t>x</t></is>'
        "</c></row></sheetData></worksheet>"
    )
    return _rebuild(template, {"xl/worksheets/sheet1.xml": [xml.encode()]})


def nested_archive(header) -> bytes:
    """A workbook carrying another zip inside it."""
    template = workbook_bytes([header])
    inner = workbook_bytes([header])
    return _rebuild(template, {"xl/media/image1.png": [inner]})


@contextmanager
def peak_memory():
    """Measure the peak of Python allocations inside the block: `with peak_memory() as peak: ...; peak()`."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = {}
    try:
        yield lambda: result["peak"]
    finally:
        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
