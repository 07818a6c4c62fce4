"""The lean XLSX reader gives exactly what openpyxl's read-only mode gives, and hands every sheet
it does not fully understand (formatted numbers, dates) to openpyxl."""
import io
import zipfile
from datetime import datetime

import openpyxl
import pytest

from core import tabular
from core.errors import FileRefused, UnreadableFile


def _openpyxl_rows(content: bytes) -> list[list]:
    return list(tabular._read_xlsx_with_openpyxl(io.BytesIO(content)))


def _trimmed(rows):
    trimmed = [list(row) for row in rows]
    for row in trimmed:
        while row and row[-1] is None:
            row.pop()
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


def _book_bytes(fill, write_only: bool = False) -> bytes:
    book = openpyxl.Workbook(write_only=write_only)
    sheet = book.create_sheet() if write_only else book.active
    fill(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewritten(content: bytes, part: str, old: bytes, new: bytes) -> bytes:
    """`content` with `old` replaced by `new` in one part of the archive."""
    source, buffer = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == part:
                assert old in data
                data = data.replace(old, new)
            target.writestr(entry.filename, data)
    return buffer.getvalue()


def _mixed(sheet):
    sheet.append(["工号", "姓名", "手机号", "QQ", "在职", "备注"])
    sheet.append(["A1", "张伟", 13966660001, 12345.0, True, None])
    sheet.append(["A2", "王芳", "13966660002", 1.5e-3, False, "=1+1"])
    sheet.append([])
    sheet.append([None, None, None, None, None, None, None, "far right"])
    sheet["B9"] = "  spaced  "
    sheet["AZ9"] = "column 52"


@pytest.mark.parametrize("fill,write_only", [
    (_mixed, False),
    (lambda sheet: [sheet.append([f"E{n}", f"员工{n}", f"139{n:08d}", n, n / 4]) for n in range(50)], True),
])
def test_plain_sheets_read_the_same_as_with_openpyxl(fill, write_only):
    content = _book_bytes(fill, write_only)
    quick = tabular._read_xlsx_quickly(content)
    assert quick is not None
    assert _trimmed(quick) == _trimmed(_openpyxl_rows(content))
    assert _trimmed(tabular.read_rows(io.BytesIO(content), "xlsx")) == _trimmed(_openpyxl_rows(content))


def test_the_template_and_a_date_formatted_sheet_read_the_same_as_with_openpyxl(in_a):
    from orgdata.services.imports.template import template_file

    template = template_file("xlsx")
    assert _trimmed(tabular.read_rows(io.BytesIO(template), "xlsx")) == _trimmed(_openpyxl_rows(template))

    dated = _book_bytes(lambda sheet: [sheet.append(["入职日期"]), sheet.append([datetime(2024, 3, 1)])])
    with pytest.raises(tabular._NotPlain):
        tabular._read_xlsx_quickly(dated)
    rows = list(tabular.read_rows(io.BytesIO(dated), "xlsx"))
    assert rows[1][0] == datetime(2024, 3, 1)


def test_a_damaged_spreadsheet_is_still_refused():
    with pytest.raises(UnreadableFile):
        list(tabular.read_rows(io.BytesIO(b"PK\x03\x04 not really a zip"), "xlsx"))


def test_the_compiled_reader_reads_ordinary_sheets_and_never_sees_a_cell_beyond_the_limits():
    """python-calamine allocates in Rust (out of memory it aborts the worker): it only reads sheets
    whose every cell the bytes scan found inside the limits; any other goes to the lean reader."""
    ordinary = _book_bytes(_mixed)
    compiled = tabular._read_xlsx_compiled(ordinary)
    assert compiled is not None
    assert _trimmed(compiled) == _trimmed(_openpyxl_rows(ordinary))

    def beyond(sheet):
        sheet.append(["工号", "姓名"])
        sheet["BI2"] = "column 61"

    wide = _book_bytes(beyond)
    assert tabular._read_xlsx_compiled(wide) is None
    # The same cell under a dimension that lies about it: the cells themselves are scanned.
    lying = _rewritten(wide, "xl/worksheets/sheet1.xml", b'<dimension ref="A1:BI2"', b'<dimension ref="A1:B2"')
    assert tabular._read_xlsx_compiled(lying) is None
    with pytest.raises(FileRefused, match="BI2"):
        list(tabular.read_rows(io.BytesIO(wide), "xlsx"))
