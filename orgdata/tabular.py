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
    data = stream.read()
    try:
        rows = _read_xlsx_quickly(data)
    except Exception:  # anything unusual (dates, styles, damage): openpyxl decides
        rows = None
    if rows is not None:
        yield from rows
        return
    yield from _read_xlsx_with_openpyxl(io.BytesIO(data))


def _read_xlsx_with_openpyxl(stream) -> Iterator[list]:
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


# --- a lean reader for plain sheets ---------------------------------------------------------------
# openpyxl builds several Python objects per cell; an address book of 100,000 rows has a million
# cells. This reader streams the first sheet with ElementTree and gives the same values as
# openpyxl's read-only, data-only mode (strings, numbers, booleans, errors, cached formula
# results) for sheets whose numbers carry no number format. Anything else (a date-formatted or
# otherwise formatted number, an ISO date cell) makes it give up, and openpyxl reads the file.

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_PLAIN_NUMBER_FORMATS = {0, 49}  # General, Text


class _NotPlain(Exception):
    """The sheet needs openpyxl (e.g. formatted numbers)."""


def _part_path(target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _text_of(element) -> str:
    """openpyxl's Text.content: the plain text plus every rich-text run, phonetic hints left out."""
    parts = []
    plain = element.find(f"{_MAIN}t")
    if plain is not None and plain.text is not None:
        parts.append(plain.text)
    for run in element.findall(f"{_MAIN}r"):
        text = run.find(f"{_MAIN}t")
        if text is not None and text.text is not None:
            parts.append(text.text)
    return "".join(parts)


def _column_number(reference: str) -> int:
    number = 0
    for character in reference:
        if character.isdigit():
            break
        number = number * 26 + ord(character.upper()) - 64
    return number


def _read_xlsx_quickly(data: bytes) -> list[list]:
    import zipfile
    from xml.etree import ElementTree

    archive = zipfile.ZipFile(io.BytesIO(data))
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    first_sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    relation_id = first_sheet.get(f"{_RELATIONSHIP}id")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    sheet_path, shared_path, styles_path = None, None, None
    for relation in relations.findall(f"{_PACKAGE_RELS}Relationship"):
        kind = relation.get("Type", "").rsplit("/", 1)[-1]
        if relation.get("Id") == relation_id:
            sheet_path = _part_path(relation.get("Target"))
        elif kind == "sharedStrings":
            shared_path = _part_path(relation.get("Target"))
        elif kind == "styles":
            styles_path = _part_path(relation.get("Target"))
    if sheet_path is None:
        raise _NotPlain()
    shared = []
    if shared_path is not None:
        shared = [_text_of(item) for item in ElementTree.fromstring(archive.read(shared_path))
                  .findall(f"{_MAIN}si")]
    formatted_styles = set()
    if styles_path is not None:
        cell_formats = ElementTree.fromstring(archive.read(styles_path)).find(f"{_MAIN}cellXfs")
        for index, cell_format in enumerate(cell_formats if cell_formats is not None else ()):
            if int(cell_format.get("numFmtId", 0)) not in _PLAIN_NUMBER_FORMATS:
                formatted_styles.add(str(index))

    rows: list[list] = []
    cells: list = []
    next_row, next_column = 1, 1
    cell_tag, row_tag, value_tag, inline_tag = f"{_MAIN}c", f"{_MAIN}row", f"{_MAIN}v", f"{_MAIN}is"
    with archive.open(sheet_path) as source:
        for _event, element in ElementTree.iterparse(source, events=("end",)):
            tag = element.tag
            if tag == cell_tag:
                reference = element.get("r")
                column = _column_number(reference) if reference else next_column
                next_column = column + 1
                kind = element.get("t", "n")
                value_element = element.find(value_tag)
                text = value_element.text if value_element is not None else None
                if kind == "s":
                    value = shared[int(text)] if text is not None else None
                elif kind == "inlineStr":
                    inline = element.find(inline_tag)
                    value = _text_of(inline) if inline is not None else None
                elif kind == "n":
                    if text is None:
                        value = None
                    elif element.get("s", "0") in formatted_styles:
                        raise _NotPlain()
                    elif "." in text or "E" in text or "e" in text:
                        value = float(text)
                    else:
                        value = int(text)
                elif kind == "b":
                    value = bool(int(text)) if text is not None else None
                elif kind in ("str", "e"):
                    value = text
                else:  # "d" (ISO dates) and anything unknown
                    raise _NotPlain()
                if column <= MAX_COLUMNS:
                    if column > len(cells):
                        cells.extend([None] * (column - len(cells)))
                    cells[column - 1] = value
                element.clear()
            elif tag == row_tag:
                number = int(element.get("r") or next_row)
                if number >= next_row:  # openpyxl skips rows out of order
                    rows.extend([] for _ in range(next_row, number))  # missing rows are empty rows
                    rows.append(cells)
                    next_row = number + 1
                cells, next_column = [], 1
                element.clear()
    return rows


def cell_text(value) -> str:
    """A cell as text: spreadsheets store mobile numbers as numbers and dates as datetimes."""
    if type(value) is str:  # every CSV cell, most XLSX cells
        return value.strip()
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


# CSV/formula injection: a spreadsheet runs a text cell that starts with one of these as a formula
# (=HYPERLINK(...), +cmd|..., @SUM(...)); tab and carriage return hide such a start. Every cell the
# writers below write passes through `is_formula_like`: names, titles, addresses and an import
# report's column names come from people, not from us.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    """Whether `value` is text a spreadsheet would read as a formula. Numbers and dates never are
    (a negative number is a number), nor is text that merely contains these characters
    ("010-62345678")."""
    return isinstance(value, str) and value.startswith(_FORMULA_STARTS)


def _csv_cell(value):
    # OWASP's advice for CSV: a leading apostrophe makes the spreadsheet show the cell as text.
    return f"'{value}" if is_formula_like(value) else value


def write_csv(header: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(value) for value in header])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    # BOM: Excel on Windows opens UTF-8 CSV with Chinese text correctly only with it.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def write_xlsx(header: list[str], rows: Iterable[list], *, sheet_title: str = "Sheet1",
               text_columns: Iterable[int] = ()) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    text_columns = set(text_columns)

    def text_cell(value):
        # openpyxl stores a string starting with "=" as a live formula: the cell is typed as a
        # string instead, with Excel's quote prefix (the value itself stays as it was).
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell

    def cells_of(row, text_columns=frozenset()):
        cells = list(row)
        for index, value in enumerate(cells):
            if is_formula_like(value):
                cells[index] = cell = text_cell(value)
            elif index in text_columns:
                cells[index] = cell = WriteOnlyCell(sheet, value="" if value is None else value)
            else:
                continue
            if index in text_columns:
                cell.number_format = "@"  # keep mobile and ID numbers as text, not 1.38E+10
        return cells

    sheet.append(cells_of(header))
    for row in rows:
        sheet.append(cells_of(row, text_columns))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
