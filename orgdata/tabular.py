"""Reading and writing the address book's CSV and XLSX files (no business rules here)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
MAX_COLUMNS = 60


class UnreadableFile(ValueError):
    """The upload is not a CSV or XLSX file this importer can read (message is user-facing)."""


def detect_format(head: bytes, filename: str) -> str:
    name = (filename or "").lower()
    if head.startswith(XLSX_MAGIC):
        if name.endswith(".csv"):
            raise UnreadableFile(_("This file is named .csv but is a spreadsheet; save it as CSV or upload it as .xlsx."))
        return "xlsx"
    if name.endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(_("This .xlsx file is damaged or not a spreadsheet."))
    if b"\x00" in head or not name.endswith((".csv", ".txt")):
        raise UnreadableFile(_("Upload a CSV (UTF-8 or GB18030) or XLSX file."))
    return "csv"


def read_rows(stream, file_format: str) -> Iterator[list]:
    """Yield each row (header first) as a list of cell values: str for CSV; str, int, float,
    datetime or None for XLSX. Trailing empty rows are skipped by the caller."""
    if file_format == "xlsx":
        yield from _read_xlsx(stream)
    else:
        yield from _read_csv(stream)


def _read_csv(stream) -> Iterator[list]:
    data = stream.read()
    # Excel in China saves "CSV" as GB18030/GBK; UTF-8 (with or without BOM) is tried first.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(_("Save the CSV file as UTF-8 and upload it again."))
    # The delimiter is whichever of , ; TAB the header line uses most (csv.Sniffer guesses from
    # data rows and is fooled by addresses and dates).
    header_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header_line.count)
    dialect = csv.excel if delimiter == "," else type("Dialect", (csv.excel,), {"delimiter": delimiter})
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error:
        raise UnreadableFile(_("The CSV file is malformed (check its quotes)."))


def _read_xlsx(stream) -> Iterator[list]:
    from openpyxl import load_workbook
    from zipfile import BadZipFile

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile(_("This .xlsx file is damaged or not a spreadsheet."))
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield list(row)
    finally:
        workbook.close()


def cell_text(value) -> str:
    """A cell as text: spreadsheets store mobile numbers as numbers and dates as datetimes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def write_csv(header: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    # BOM: Excel on Windows opens UTF-8 CSV with Chinese text correctly only with it.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def write_xlsx(header: list[str], rows: Iterable[list], *, sheet_title: str = "Sheet1",
               text_columns: Iterable[int] = ()) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    text_columns = set(text_columns)
    sheet.append(header)
    for row in rows:
        if not text_columns:
            sheet.append(row)
            continue
        cells = list(row)
        for index in text_columns:
            if index < len(cells):
                cell = WriteOnlyCell(sheet, value="" if cells[index] is None else cells[index])
                cell.number_format = "@"  # keep mobile and ID numbers as text, not 1.38E+10
                cells[index] = cell
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
