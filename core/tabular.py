"""Reading and writing CSV and XLSX files safely: bounded before and while reading, formulas
neutralised when writing (no business rules here; the address-book import and export use it)."""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.utils.translation import gettext as _

from core.errors import BadCell, FileRefused, UnreadableFile

XLSX_MAGIC = b"PK\x03\x04"

# --- hard limits: checked before (and while) anything is parsed; each is named in its message ----
# The address book needs 100,000+ rows (bench/import_addressbook.py); a 100,000-row sheet written
# by openpyxl unpacks to 61 MB at a ratio of 8.6, one saved by Excel (shared strings) to less.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the file as uploaded (compressed, for XLSX)
MAX_DATA_ROWS = 200_000
MAX_SHEET_ROWS = MAX_DATA_ROWS + 1  # the header row and the data rows
MAX_COLUMNS = 60
MAX_CELL_CHARS = 2_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # every part of the archive together, as declared and as read
MAX_ENTRY_RATIO = 100  # unpacked / packed size of one part; zip bombs reach about 1,000
_RATIO_CHECKED_ABOVE = 1024 * 1024  # tiny parts may compress very well
MAX_ARCHIVE_ENTRIES = 1_000
MAX_SMALL_PART_BYTES = 16 * 1024 * 1024  # workbook, relationships, styles: parsed as one tree
MAX_SHARED_STRINGS = 2_000_000
MAX_ELEMENT_BYTES = 1024 * 1024  # one tag (name and attributes), which expat buffers whole
_CHUNK = 64 * 1024


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


def check_upload(stream, file_format: str) -> None:
    """The cheap checks an upload passes before it is stored (no cell is parsed): its size and,
    for XLSX, the archive's directory (parts, declared sizes, compression ratios)."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > MAX_UPLOAD_BYTES:
        raise FileRefused(_("The file is larger than 50 MB; split it into several files."))
    if file_format == "xlsx":
        try:
            _open_archive(stream)
        finally:
            stream.seek(0)


def read_rows(stream, file_format: str) -> Iterator[list]:
    """Yield each row (header first) as a list of cell values: str for CSV; str, int, float,
    datetime or None for XLSX. Trailing empty rows are skipped by the caller.

    Raises FileRefused for a file beyond a hard limit (before its cells are parsed, or as soon as
    the streaming reader meets the excess), BadCell for a cell that cannot be imported, and
    UnreadableFile for anything damaged."""
    if file_format == "xlsx":
        yield from _read_xlsx(stream)
    else:
        yield from _read_csv(stream)


# --- CSV ---------------------------------------------------------------------------------------

def _read_csv(stream) -> Iterator[list]:
    data = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileRefused(_("The file is larger than 50 MB; split it into several files."))
    # Excel in China saves "CSV" as GB18030/GBK; UTF-8 (with or without BOM) is tried first. The
    # whole file is checked chunk by chunk, then decoded again while rows are read: no second
    # copy of the file as text is ever held.
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes_as(data, encoding):
            break
    else:
        raise UnreadableFile(_("Save the CSV file as UTF-8 and upload it again."))
    # The delimiter is whichever of , ; TAB the header line uses most (csv.Sniffer guesses from
    # data rows and is fooled by addresses and dates).
    header_line = data[:data.find(b"\n") if b"\n" in data else len(data)]
    delimiter = max((b",", b";", b"\t"), key=header_line.count).decode()
    dialect = csv.excel if delimiter == "," else type("Dialect", (csv.excel,), {"delimiter": delimiter})
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(text, dialect)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            if number > MAX_SHEET_ROWS:
                raise FileRefused(_("The file has more than %(limit)s rows; split it.")
                                  % {"limit": f"{MAX_DATA_ROWS:,}"})
            if len(row) > MAX_COLUMNS and any(cell.strip() for cell in row[MAX_COLUMNS:]):
                raise BadCell(number, MAX_COLUMNS + 1, _("This row has more than %(limit)d columns.")
                              % {"limit": MAX_COLUMNS})
            row = row[:MAX_COLUMNS]
            for column, cell in enumerate(row, start=1):
                if "\x00" in cell:
                    raise BadCell(number, column, _("This cell contains a NUL character (\\0); remove it and "
                                                    "upload the file again."))
                if len(cell) > MAX_CELL_CHARS:
                    raise BadCell(number, column, _("This cell is longer than %(limit)s characters.")
                                  % {"limit": f"{MAX_CELL_CHARS:,}"})
                if cell[:1] == "'":
                    row[column - 1] = unneutralised(cell)
            yield row
    except csv.Error:
        # e.g. a field beyond csv.field_size_limit (128 KB) or a stray quote
        raise BadCell(number + 1, 0, _("The CSV file is malformed (check its quotes)."))


def _decodes_as(data: bytes, encoding: str) -> bool:
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), 1024 * 1024):
            decoder.decode(data[start:start + 1024 * 1024])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# --- XLSX --------------------------------------------------------------------------------------

def _read_xlsx(stream) -> Iterator[list]:
    data = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileRefused(_("The file is larger than 50 MB; split it into several files."))
    rows = _read_xlsx_compiled(data)
    if rows is not None:
        yield from rows
        return
    # Every check runs to the end of the sheet before openpyxl may see the file: the lean reader
    # keeps checking after it meets something it leaves to openpyxl (e.g. a date-formatted number).
    try:
        rows = _read_xlsx_quickly(data)
    except _NotPlain:
        rows = None
    if rows is not None:
        yield from rows
        return
    yield from _read_xlsx_with_openpyxl(io.BytesIO(data))


def _read_xlsx_with_openpyxl(stream) -> Iterator[list]:
    """Only for files that passed every check of the lean reader (see _read_xlsx)."""
    from openpyxl import load_workbook
    from zipfile import BadZipFile

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile(_("This .xlsx file is damaged or not a spreadsheet."))
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield [unneutralised(value) if type(value) is str and value[:1] == "'" else value for value in row]
    finally:
        workbook.close()


def _damaged() -> UnreadableFile:
    return UnreadableFile(_("This .xlsx file is damaged or not a spreadsheet."))


def _megabytes(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB"


def _open_archive(stream):
    """The archive, once its directory is within the limits: number of parts, each part's
    declared size and compression ratio, their sum. Nothing is unpacked here; zipfile then never
    returns more than a part's declared size (and fails its CRC check if the data says otherwise)."""
    try:
        archive = zipfile.ZipFile(stream)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _damaged()
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise FileRefused(_("The spreadsheet has more than %(limit)s parts; it is not an address book.")
                          % {"limit": f"{MAX_ARCHIVE_ENTRIES:,}"})
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1 or entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged()  # encrypted, or a compression spreadsheets do not use
        total += entry.file_size
        if total > MAX_UNPACKED_BYTES:
            raise FileRefused(_("The spreadsheet unpacks to more than %(limit)s; split it into several files.")
                              % {"limit": _megabytes(MAX_UNPACKED_BYTES)})
        if entry.file_size > _RATIO_CHECKED_ABOVE and entry.file_size > MAX_ENTRY_RATIO * max(entry.compress_size, 1):
            raise FileRefused(_("A part of the spreadsheet (%(part)s) is compressed more than %(limit)d times; "
                                "it looks like a zip bomb, not an address book.")
                              % {"part": entry.filename[:60], "limit": MAX_ENTRY_RATIO})
    return archive


def _small_part(archive, name: str):
    """A part parsed as one tree (workbook, relationships, styles): size-limited and defused."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    info = archive.getinfo(name)
    if info.file_size > MAX_SMALL_PART_BYTES:
        raise FileRefused(_("A part of the spreadsheet (%(part)s) is larger than %(limit)s; it is not an "
                            "address book.") % {"part": name[:60], "limit": _megabytes(MAX_SMALL_PART_BYTES)})
    try:
        return fromstring(archive.read(name), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _dtd_refused()
    except ParseError:
        raise _damaged()


def _dtd_refused() -> FileRefused:
    return FileRefused(_("The spreadsheet contains an XML document type declaration or entity, which "
                         "spreadsheets never need; it was not read."))


def unneutralised(text: str) -> str:
    """Undo exactly what the export does to a formula-like cell (see _csv_cell): one leading
    apostrophe before text that would otherwise be a formula. The value stays text: it is never
    written back as a live formula (every writer neutralises it again)."""
    if text[:1] == "'" and is_formula_like(text.lstrip("'")):
        return text[1:]
    return text


# --- a lean, checking reader for plain sheets ------------------------------------------------------
# openpyxl builds several Python objects per cell; an address book of 100,000 rows has a million
# cells. This reader streams the shared strings and the first sheet through expat with
# defusedxml's guards (no DTD, no entity declarations, no external references) and no tree at
# all; it checks every limit while it reads (row numbers and the declared dimension against the
# row limit, cell lengths, columns, the number of shared strings, XML that never reaches an element
# boundary), and gives the same values as openpyxl's read-only, data-only mode (strings, numbers,
# booleans, errors, cached formula results) for sheets whose numbers carry no number format.
# Anything else (a date-formatted or otherwise formatted number, an ISO date cell) makes it stop
# keeping values but read on to the end of the sheet for the checks; then openpyxl reads the file.

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_MAIN = "{" + _MAIN_NS + "}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_PLAIN_NUMBER_FORMATS = {0, 49}  # General, Text
_TOO_LONG = object()  # a shared string beyond MAX_CELL_CHARS: refused when a cell uses it


class _NotPlain(Exception):
    """The sheet needs openpyxl (e.g. formatted numbers)."""


def _part_path(target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _column_number(reference: str) -> int:
    number = 0
    for character in reference:
        if character.isdigit():
            break
        number = number * 26 + ord(character.upper()) - 64
        if number > 1_000_000:  # far beyond any sheet; stop counting
            break
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _too_long_cell(reference: str) -> FileRefused:
    return FileRefused(_("Cell %(cell)s is longer than %(limit)s characters; nothing was read.")
                       % {"cell": reference[:12], "limit": f"{MAX_CELL_CHARS:,}"})


def _too_many_rows(row: int) -> FileRefused:
    return FileRefused(_("The sheet reaches row %(row)s; at most %(limit)s rows are read. Delete the empty "
                         "rows below your data or split the file.") % {"row": f"{row:,}", "limit": f"{MAX_SHEET_ROWS:,}"})


def _stream_xml(archive, name: str, handlers) -> None:
    """Feed one part through a defused expat parser, chunk by chunk. `handlers` has start(tag,
    attributes), end(tag) and text(data) for expat, each adding one to its `events` (what the
    check for XML that never reaches an element boundary counts; expat hands text over as it reads
    it, buffering only tags, so text is progress too). The handlers count for themselves: a
    wrapper around each would cost a Python call per element of a million-cell sheet."""
    import pyexpat

    from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

    parser = pyexpat.ParserCreate(namespace_separator="}")
    # defusedxml's guards, on a bare expat parser (no tree is built; see the comment above).

    def refuse_doctype(name, sysid, pubid, has_internal_subset):
        raise DTDForbidden(name, sysid, pubid)

    def refuse_entity(name, is_parameter_entity, value, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)

    def refuse_unparsed_entity(name, base, sysid, pubid, notation_name):
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)

    def refuse_external(context, base, sysid, pubid):
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_unparsed_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler, parser.EndElementHandler = handlers.start, handlers.end
    parser.CharacterDataHandler = handlers.text
    read, quiet_bytes = 0, 0
    try:
        with archive.open(name) as source:
            while True:
                chunk = source.read(_CHUNK)
                if not chunk:
                    break
                read += len(chunk)
                if read > MAX_UNPACKED_BYTES:
                    raise FileRefused(_("The spreadsheet unpacks to more than %(limit)s; split it into several "
                                        "files.") % {"limit": _megabytes(MAX_UNPACKED_BYTES)})
                seen = handlers.events
                parser.Parse(chunk, False)
                quiet_bytes = quiet_bytes + len(chunk) if handlers.events == seen else 0
                if quiet_bytes > MAX_ELEMENT_BYTES:
                    raise FileRefused(_("The spreadsheet holds an XML tag longer than %(limit)s; it is not an "
                                        "ordinary spreadsheet.")
                                      % {"limit": _megabytes(MAX_ELEMENT_BYTES)})
        parser.Parse(b"", True)
    except DefusedXmlException:
        raise _dtd_refused()
    except (pyexpat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError):
        raise _damaged()


def _shared_strings(archive, name: str) -> list:
    reader = _SharedStringsReader()
    _stream_xml(archive, name, reader)
    return reader.strings


class _SharedStringsReader:
    """expat handlers for the shared strings: each string, or _TOO_LONG, in order."""

    _SI, _T, _RPH, _SST = (f"{_MAIN_NS}}}{name}" for name in ("si", "t", "rPh", "sst"))

    def __init__(self):
        self.strings: list = []
        self.events = 0
        self.collecting, self.phonetic = False, 0
        self.parts: list[str] | None = []
        self.length = 0

    def start(self, tag, attributes):
        self.events += 1
        if tag == self._T:
            self.collecting = not self.phonetic
        elif tag == self._SI:
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise _too_many_strings()
            self.parts, self.length = [], 0
        elif tag == self._RPH:
            self.phonetic += 1
        elif tag == self._SST:
            declared = attributes.get("uniqueCount") or "0"
            if declared.isdigit() and int(declared) > MAX_SHARED_STRINGS:
                raise _too_many_strings()

    def end(self, tag):
        self.events += 1
        if tag == self._T:
            self.collecting = False
        elif tag == self._SI:
            parts = self.parts
            self.strings.append(_TOO_LONG if parts is None else "".join(parts))
        elif tag == self._RPH:
            self.phonetic -= 1

    def text(self, data):
        self.events += 1
        if self.collecting and self.parts is not None:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                self.parts = None  # refused if a cell of the sheet uses it
            else:
                self.parts.append(data)


def _too_many_strings() -> FileRefused:
    return FileRefused(_("The spreadsheet holds more than %(limit)s different texts; split it into several files.")
                       % {"limit": f"{MAX_SHARED_STRINGS:,}"})


class _SheetReader:
    """expat handlers for one worksheet: rows of values, every limit checked as it goes."""

    def __init__(self, shared: list, formatted_styles: set):
        self.shared, self.formatted_styles = shared, formatted_styles
        self.rows: list[list] = []
        self.is_plain = True  # False once a value needs openpyxl: values are no longer kept
        self.cells: list = []
        self.next_row, self.next_column = 1, 1
        self.row_number = 0
        self.in_cell = False
        self.collecting = False
        self.inline, self.phonetic = False, 0
        self.parts: list[str] = []
        self.length = 0
        self.reference, self.column, self.kind, self.style = "", 0, "n", "0"
        self.has_value = False
        self.events = 0  # see _stream_xml
        main = _MAIN_NS + "}"
        self.tags = {main + name: name for name in ("c", "v", "t", "is", "row", "rPh", "dimension", "f")}

    def start(self, tag, attributes):
        self.events += 1
        name = self.tags.get(tag)
        if name == "c":
            reference = attributes.get("r")
            self.reference = reference or f"{column_letters(self.next_column)}{self.row_number}"
            self.column = _column_number(reference) if reference else self.next_column
            self.next_column = self.column + 1
            self.kind, self.style = attributes.get("t", "n"), attributes.get("s", "0")
            self.parts, self.length, self.has_value, self.in_cell = [], 0, False, True
        elif name == "v":
            self.collecting, self.has_value = self.in_cell, self.in_cell
        elif name == "t":
            self.collecting = self.inline and not self.phonetic
        elif name == "is":
            self.inline, self.has_value = True, True
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            declared = attributes.get("r")
            if declared is not None and not declared.isdigit():
                raise _damaged()
            number = int(declared) if declared else self.next_row
            if number > MAX_SHEET_ROWS:  # before any gap is filled: the 2,000,000,000th row
                raise _too_many_rows(number)
            self.row_number, self.cells, self.next_column = number, [], 1
        elif name == "dimension":
            last = (attributes.get("ref") or "").rsplit(":", 1)[-1]
            digits = last.lstrip("$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz").lstrip("$")
            if digits.isdigit() and int(digits) > MAX_SHEET_ROWS:
                raise _too_many_rows(int(digits))

    def text(self, data):
        self.events += 1
        if self.collecting:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise _too_long_cell(self.reference)
            self.parts.append(data)

    def end(self, tag):
        self.events += 1
        name = self.tags.get(tag)
        if name == "c":
            self.in_cell, self.inline = False, False
            self._keep(self._value())
        elif name in ("v", "t"):
            self.collecting = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "row":
            number = self.row_number
            if number >= self.next_row and self.is_plain:  # openpyxl skips rows out of order
                self.rows.extend([] for _ in range(self.next_row, number))  # missing rows are empty rows
                self.rows.append(self.cells)
            if number >= self.next_row:
                self.next_row = number + 1
            self.cells = []

    def _value(self):
        kind = self.kind
        text = "".join(self.parts) if self.has_value else None
        if kind == "s":
            if text is None:
                return None
            try:
                value = self.shared[int(text)]
            except (ValueError, IndexError):
                raise _damaged()
            if value is _TOO_LONG:
                raise _too_long_cell(self.reference)
            return unneutralised(value) if value[:1] == "'" else value
        if kind == "inlineStr":
            return unneutralised(text) if text and text[:1] == "'" else text
        if kind == "n":
            if not text:
                return None
            if self.style in self.formatted_styles:
                self.is_plain = False
                return None
            try:
                return float(text) if ("." in text or "E" in text or "e" in text) else int(text)
            except ValueError:
                raise _damaged()
        if kind == "b":
            return bool(int(text)) if text and text.isdigit() else None
        if kind in ("str", "e"):
            return text
        self.is_plain = False  # "d" (ISO dates) and anything unknown
        return None

    def _keep(self, value):
        column = self.column
        if column > MAX_COLUMNS:
            if value is not None and value != "":
                raise FileRefused(_("Cell %(cell)s is beyond column %(limit)d; the address book has at most "
                                    "%(limit)d columns.") % {"cell": self.reference[:12], "limit": MAX_COLUMNS})
            return
        if not self.is_plain:
            return
        cells = self.cells
        if column > len(cells):
            cells.extend([None] * (column - len(cells)))
        cells[column - 1] = value


def _sheet_parts(archive) -> tuple[str, str | None, set[str]]:
    """The first sheet's part, the shared strings' part (if any) and the styles whose numbers carry
    a number format (read through the size-limited, defused small-part parser)."""
    try:
        workbook = _small_part(archive, "xl/workbook.xml")
        relations = _small_part(archive, "xl/_rels/workbook.xml.rels")
    except KeyError:
        raise _damaged()
    first_sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if first_sheet is None:
        raise _damaged()
    relation_id = first_sheet.get(f"{_RELATIONSHIP}id")
    sheet_path, shared_path, styles_path = None, None, None
    for relation in relations.findall(f"{_PACKAGE_RELS}Relationship"):
        kind = relation.get("Type", "").rsplit("/", 1)[-1]
        if relation.get("Id") == relation_id:
            sheet_path = _part_path(relation.get("Target", ""))
        elif kind == "sharedStrings":
            shared_path = _part_path(relation.get("Target", ""))
        elif kind == "styles":
            styles_path = _part_path(relation.get("Target", ""))
    names = set(archive.namelist())
    if sheet_path not in names or (shared_path and shared_path not in names):
        raise _damaged()
    formatted_styles = set()
    if styles_path is not None and styles_path in names:
        cell_formats = _small_part(archive, styles_path).find(f"{_MAIN}cellXfs")
        for index, cell_format in enumerate(cell_formats if cell_formats is not None else ()):
            number_format = cell_format.get("numFmtId", "0")
            if not number_format.isdigit() or int(number_format) not in _PLAIN_NUMBER_FORMATS:
                formatted_styles.add(str(index))
    return sheet_path, shared_path, formatted_styles


def _read_xlsx_quickly(data: bytes) -> list[list]:
    archive = _open_archive(io.BytesIO(data))
    sheet_path, shared_path, formatted_styles = _sheet_parts(archive)
    shared = _shared_strings(archive, shared_path) if shared_path else []
    reader = _SheetReader(shared, formatted_styles)
    _stream_xml(archive, sheet_path, reader)
    if not reader.is_plain:
        raise _NotPlain()
    return reader.rows


# --- the compiled reader, for ordinary sheets ---------------------------------------------------------
# python-calamine (Rust) reads a sheet several times faster than the lean reader's expat callbacks.
# It allocates in Rust, where running out of memory aborts the process instead of raising
# MemoryError, and it has its own view of odd XML. So it only ever sees a sheet that a scan of the
# unpacked XML, at C speed with bytes searches, shows to be ordinary and within every limit: parts of
# at most FAST_PATH_MAX_BYTES, every cell with an explicit reference inside MAX_SHEET_ROWS ×
# MAX_COLUMNS (so the grid it allocates is bounded), a dimension inside the same, no DTD, comment or
# CDATA, no attribute spelled in a way the scan does not read, no formatted number, error, ISO date,
# phonetic run, Excel escape (_x000D_) or number of more digits than a float keeps. Everything else (and any failure of the
# compiled reader) goes to the lean reader, whose checks and messages stay the rule; a cell longer
# than MAX_CELL_CHARS does too, so that the lean reader names it.
FAST_PATH_MAX_BYTES = 128 * 1024 * 1024
_FAST_ATTRIBUTE = rb'\s+(?!r\s*=)[A-Za-z_][\w:.\-]*="[^"<]*"'  # any attribute but r, double-quoted
# A cell tag is ordinary when it holds exactly one reference, inside MAX_COLUMNS (A to BH) and
# MAX_SHEET_ROWS (200,001), and nothing but double-quoted attributes: the scan looks for a cell
# that is not.
_FAST_ODD_CELL = re.compile(
    rb"<c(?=[\s/>])(?!(?:" + _FAST_ATTRIBUTE + rb')*\s+r="(?:[A-Z]|A[A-Z]|B[A-H])(?:[1-9][0-9]{0,4}|1[0-9]{5}|20000[01])"'
    rb"(?:" + _FAST_ATTRIBUTE + rb")*\s*/?>)")
_FAST_DIMENSION = re.compile(rb"<dimension\b[^>]*>")
_FAST_ORDINARY_DIMENSION = re.compile(
    rb'<dimension\s+ref="(?:[A-Z]|A[A-Z]|B[A-H])(?:[1-9][0-9]{0,4}|1[0-9]{5}|20000[01])'
    rb'(?::(?:[A-Z]|A[A-Z]|B[A-H])(?:[1-9][0-9]{0,4}|1[0-9]{5}|20000[01]))?"\s*/?>')
_FAST_PREFIXED = re.compile(rb"</?[A-Za-z_][\w.\-]*:(?:c|row|v|is|f|si|sst|sheetData|dimension|rPh)[\s/>]")
_FAST_LONG_NUMBER = re.compile(rb"<v>\s*[-+]?[0-9]{16}")
_FAST_EXCEL_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")  # Excel's escape of a control character; the lean reader keeps it
_FAST_SHARED_STRING = re.compile(rb"<si[\s/>]")
_FAST_ODD_MARKUP = (b"<!", b"<rPh", b't="e"', b't="d"', b"='")


def _is_ordinary_sheet(sheet: bytes, formatted_styles: set[str]) -> bool:
    """Whether the compiled reader may read `sheet` (see the comment above)."""
    if any(marker in sheet for marker in _FAST_ODD_MARKUP):
        return False
    if _FAST_PREFIXED.search(sheet) or _FAST_LONG_NUMBER.search(sheet) or _FAST_EXCEL_ESCAPE.search(sheet):
        return False
    if _FAST_ODD_CELL.search(sheet):
        return False
    dimensions = _FAST_DIMENSION.findall(sheet)
    if len(dimensions) > 1 or (dimensions and not _FAST_ORDINARY_DIMENSION.fullmatch(dimensions[0])):
        return False
    if formatted_styles:
        styles = b"|".join(sorted(style.encode() for style in formatted_styles))
        if re.search(rb'<c\s(?:[^>]*?\s)?s="(?:' + styles + rb')"', sheet):
            return False
    return True


def _read_xlsx_compiled(data: bytes) -> list[list] | None:
    """The first sheet's rows read by python-calamine, or None when the sheet is not an ordinary
    one (the lean reader then reads it). The archive's own limits are checked first, as always."""
    archive = _open_archive(io.BytesIO(data))
    _sheet_path, _shared_path, formatted_styles = _sheet_parts(archive)
    # Every XML part passes, not only the sheet the relationships name: whichever part the
    # compiled reader takes for the first sheet or its strings has been scanned.
    try:
        for entry in archive.infolist():
            if not entry.filename.lower().endswith((".xml", ".rels")):
                continue
            if entry.file_size > FAST_PATH_MAX_BYTES:
                return None
            part = archive.read(entry)
            if not _is_ordinary_sheet(part, formatted_styles) or (
                    b"<si" in part and len(_FAST_SHARED_STRING.findall(part)) > MAX_SHARED_STRINGS):
                return None
            del part
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        return None  # the lean reader names the damage
    from python_calamine import CalamineWorkbook

    try:
        cells = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python(
            skip_empty_area=False)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException:  # its errors, and a Rust panic (a BaseException): the lean reader decides
        return None
    rows = []
    for row in cells:
        while row and row[-1] == "":
            row.pop()
        for index, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if not value:
                    row[index] = None
                elif len(value) > MAX_CELL_CHARS:
                    return None  # the lean reader names the cell
                elif value[:1] == "'":
                    row[index] = unneutralised(value)
            elif kind is float:
                if value.is_integer():
                    row[index] = int(value)  # as the lean reader reads "13900000000"
            elif kind is not int and kind is not bool:
                return None  # a date or time: only formatted numbers give them, and those went to the lean reader
        rows.append(row)
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
    # Text that already starts with apostrophes before a formula start gets one more, so that the
    # import (`unneutralised`) takes exactly one off and the round trip is lossless.
    if isinstance(value, str) and is_formula_like(value.lstrip("'")):
        return f"'{value}"
    return value


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


# The large export's writer (issue 14): every cell text, streamed into the archive as inline
# strings. openpyxl builds an object per cell, which for 100,000 people by 20 columns takes a
# minute; this takes seconds. Text a spreadsheet would read as a formula carries Excel's quote
# prefix (style 1), as write_xlsx's text cells do; no cell is ever a formula.
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **{
    chr(code): None for code in (*range(0, 9), 11, 12, *range(14, 32))}})  # not allowed in XML 1.0
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES_XML = (
    _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
_ROOT_RELS_XML = (
    _XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK_RELS_XML = (
    _XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>')
_STYLES_XML = (
    _XML_HEAD + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def write_text_xlsx(header: list[str], rows: Iterable[list], *, sheet_title: str = "Sheet1") -> bytes:
    """An XLSX file whose every cell is text (`str(value)`; None and "" leave the cell out), in
    the text number format so that a spreadsheet keeps mobile and ID numbers as they are."""
    title = (sheet_title[:31] or "Sheet1").translate(_XML_ESCAPES).replace('"', "&quot;")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES_XML)
        archive.writestr("_rels/.rels", _ROOT_RELS_XML)
        archive.writestr("xl/workbook.xml", (
            _XML_HEAD + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{_RELATIONSHIPS}"><sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS_XML)
        archive.writestr("xl/styles.xml", _STYLES_XML)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write((_XML_HEAD + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         '<sheetData>').encode())
            letters = [column_letters(index) for index in range(1, MAX_COLUMNS + 1)]
            starts, escapes = _FORMULA_STARTS, _XML_ESCAPES
            # A cell's XML after "<c": the same for every repeat of a value (departments, positions).
            tails: dict[str, str] = {}
            lines: list[str] = []
            number = 0
            for row in (header, *rows):
                number += 1
                cells = [f'<row r="{number}">']
                follows_a_gap = False
                for index, value in enumerate(row):
                    if value is None or value == "":
                        follows_a_gap = True
                        continue
                    text = value if type(value) is str else str(value)
                    tail = tails.get(text)
                    if tail is None:
                        style = ' s="1"' if text.startswith(starts) else ""
                        tail = f' t="inlineStr"{style}><is><t xml:space="preserve">{text.translate(escapes)}</t></is></c>'
                        if len(tails) < 200_000:
                            tails[text] = tail
                    # A cell's reference may be left out when it follows the previous one (ECMA-376).
                    cells.append(f'<c r="{letters[index]}{number}"' if follows_a_gap or index == 0 else "<c")
                    cells.append(tail)
                    follows_a_gap = False
                cells.append("</row>")
                lines.append("".join(cells))
                if len(lines) == 2000:
                    sheet.write("".join(lines).encode())
                    lines = []
            sheet.write("".join(lines).encode())
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()
