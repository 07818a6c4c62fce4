"""Reading an import file and validating each row on its own (no database read). Bounded by
core.tabular's hard limits while it reads. (The template to fill in is imports.template.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import tabular
from core.errors import BadCell, FileRefused
from orgdata import validators
from orgdata.columns import COLUMNS, COLUMNS_BY_KEY, DEPARTMENT_SEPARATOR, column_for_header, header_aliases
from orgdata.errors import Rejected
from orgdata.models import Employee, ImportJob
from orgdata.services import employees as employee_services
from orgdata.services import minors as minor_services
from orgdata.services.imports import progress

MAX_ROWS = tabular.MAX_DATA_ROWS


@dataclass
class RowError:
    """One reason a row cannot be imported, as the report shows it (never the cell's value)."""

    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class Row:
    number: int  # as the administrator sees it in the spreadsheet (header is row 1)
    values: dict[str, Any] = field(default_factory=dict)  # cleaned, only non-empty cells
    department: str = ""
    position: str = ""
    job_level: str = ""
    # M2: a date of birth or ID number in the row states an age under 14 (the row is refused; an
    # existing person it corrects is erased, see checks.py).
    reveals_a_child: bool = False
    # M1: ... an age of 14 or 15 (the row is refused; an existing person it corrects is disabled,
    # with a case for the manager, see checks.py).
    reveals_under_working_age: bool = False


def _parse_date(value) -> date:
    # The one date parser, so a file accepts exactly the dates the console and the API accept.
    return validators.parse_date(value)


def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    for value, label in choices:
        lookup[value.lower()] = value
        with translation.override("en"):
            lookup[str(label).lower()] = value
        with translation.override("zh-hans"):
            lookup[str(label).lower()] = value
    return lookup


_SHORT_GENDERS = {"男": "male", "女": "female", "m": "male", "f": "female"}


def read_file(job: ImportJob) -> tuple[list[str], list[tuple[int, list]]]:
    """The file's column keys and its non-empty data rows (with spreadsheet row numbers).

    A file beyond a hard limit of core.tabular raises FileRefused (the job fails with its
    message); a cell that cannot be imported at all (e.g. a NUL in a CSV cell) is reported with its
    row and column."""
    header: list = []
    with job.file.open("rb") as stream:
        rows = tabular.read_rows(stream, job.file_format)
        try:
            header = next(rows, None)
            if header is None:
                raise Rejected([RowError(1, "", _("The file is empty."))])
            keys = _header_keys(header)
            width = len(keys)
            data = []
            for number, row in enumerate(rows, start=2):
                if not any(tabular.cell_text(cell) for cell in row):
                    continue
                # Cells right of the header are never read: not kept either.
                data.append((number, row if len(row) <= width else row[:width]))
                if len(data) > MAX_ROWS:
                    raise FileRefused(_("The file has more than %(limit)s rows; split it.")
                                              % {"limit": f"{MAX_ROWS:,}"})
        except BadCell as bad:
            raise Rejected([RowError(bad.row, _column_name(bad.column, header), str(bad))])
    if not data:
        raise Rejected([RowError(2, "", _("The file has no rows to import."))])
    return keys, data


def _header_keys(header: list) -> list[str | None]:
    aliases = header_aliases()
    keys, errors = [], []
    for title in header:
        text = tabular.cell_text(title)
        key = column_for_header(text, aliases) if text else None
        if text and key is None:
            errors.append(RowError(1, text[:50], _("Unknown column. Use the columns of the sample file.")))
        elif key is not None and key in keys:
            errors.append(RowError(1, str(COLUMNS_BY_KEY[key].label), _("This column appears twice.")))
        keys.append(key)
    for column in COLUMNS:
        if column.required and column.key not in keys:
            errors.append(RowError(1, str(column.label), _("This required column is missing.")))
    if errors:
        raise Rejected(errors)
    return keys


def _column_name(column: int, header: list | None) -> str:
    """A column as the administrator knows it: its header, or its spreadsheet letters."""
    if column <= 0:
        return ""
    if header and column <= len(header) and tabular.cell_text(header[column - 1]):
        return tabular.cell_text(header[column - 1])[:50]
    return tabular.column_letters(column)


_DATE_KEYS = frozenset(("entry_date", "date_of_birth"))
_ROW_ATTRIBUTES = frozenset(("department", "position", "job_level"))
_REQUIRED_KEYS = frozenset(column.key for column in COLUMNS if column.required)


def _validate(keys: list[str], number: int, cells: list, lookups: dict,
              date_memo: dict | None = None, today: date | None = None,
              names_memo: dict | None = None) -> tuple[Row, list[RowError]]:
    row, errors, raw = Row(number), [], {}
    if date_memo is None:
        date_memo = {}
    if names_memo is None:
        names_memo = {}
    cell_text, width = tabular.cell_text, len(cells)
    for index, key in enumerate(keys):
        if key is None:
            continue
        value = cells[index] if index < width else None
        text = cell_text(value)
        if key in _DATE_KEYS:
            if text:
                try:
                    # Dates repeat a lot (a few thousand days for 100,000 people): parsed once each.
                    parsed = date_memo.get(value) if type(value) is str else None
                    if parsed is None:
                        parsed = _parse_date(value)
                        if type(value) is str:
                            date_memo[value] = parsed
                    raw[key] = parsed
                except ValidationError as error:
                    errors.append(RowError(number, str(COLUMNS_BY_KEY[key].label), error.messages[0]))
            continue
        if key in _ROW_ATTRIBUTES:
            # Names as every other path cleans them (invisible and bidi characters out, spaces
            # collapsed), each part of a department path on its own. A few hundred names for
            # 100,000 rows: each distinct cell is cleaned once.
            cleaned = names_memo.get((key, text))
            if cleaned is None:
                if key == "department":
                    cleaned = DEPARTMENT_SEPARATOR.join(validators.clean_name_text(part)
                                                        for part in text.split(DEPARTMENT_SEPARATOR)) if text else ""
                else:
                    cleaned = validators.clean_name_text(text)
                names_memo[(key, text)] = cleaned
            setattr(row, key, cleaned)
            continue
        if text and key in lookups:
            mapped = lookups[key].get(text.lower()) or (_SHORT_GENDERS.get(text.lower()) if key == "gender" else None)
            text = mapped or text
        if text or key in _REQUIRED_KEYS:
            raw[key] = text
    # Most files hold mobile numbers in canonical form: checked without parsing (same verdict).
    mobile = validators.canonical_mainland_mobile(raw["mobile"]) if raw.get("mobile") else None
    if mobile:
        del raw["mobile"]
    try:
        row.values = employee_services.clean_employee_values(raw, today=today)
    except ValidationError as error:
        row.reveals_a_child = bool(minor_services.fields_revealing_a_child(error))
        row.reveals_under_working_age = bool(minor_services.fields_revealing_under_working_age(error))
        for key, messages in error.message_dict.items():
            errors.extend(RowError(number, str(COLUMNS_BY_KEY[key].label), message) for message in messages)
        # Keep the row's good values, so duplicates of them are reported too.
        try:
            row.values = employee_services.clean_employee_values(
                {k: v for k, v in raw.items() if k not in error.message_dict}, today=today)
        except ValidationError:
            row.values = {}
    if mobile:
        row.values["mobile"] = mobile
    if row.department:
        well_formed = names_memo.get(("department path", row.department))
        if well_formed is None:
            parts = [part.strip() for part in row.department.split(DEPARTMENT_SEPARATOR)]
            well_formed = names_memo[("department path", row.department)] = all(
                part and len(part) <= 100 for part in parts)
        if not well_formed:
            errors.append(RowError(number, str(COLUMNS_BY_KEY["department"].label),
                                   _("Write the department as its path, e.g. Headquarters/R&D/Back end.")))
    for key in ("position", "job_level"):
        if len(getattr(row, key)) > (100 if key == "position" else 50):
            errors.append(RowError(number, str(COLUMNS_BY_KEY[key].label), _("This value is too long.")))
    return row, errors

def validate_rows(job: ImportJob, keys: list[str], data: list[tuple[int, list]], *,
                  today: date | None = None) -> tuple[list[Row], list[RowError]]:
    """Every row cleaned on its own (no database read), with the problems of each; ages are
    counted on `today` (the enterprise's date when not given)."""
    lookups = {"work_status": _choice_lookup(Employee.WorkStatus.choices),
               "gender": _choice_lookup(Employee.Gender.choices),
               "education": _choice_lookup(Employee.Education.choices)}
    total = len(data)
    rows: list[Row] = []
    errors: list[RowError] = []
    parsed_dates: dict[str, date] = {}
    cleaned_names: dict[tuple[str, str], str | bool] = {}
    # Ages (M1, M2) are counted on one day for the whole file, as the writing pass counts them.
    today = today or timezone.localdate()
    for index, (number, cells) in enumerate(data, start=1):
        row, row_errors = _validate(keys, number, cells, lookups, parsed_dates, today, cleaned_names)
        rows.append(row)
        errors.extend(row_errors)
        if index % progress.BATCH == 0:
            progress.report_progress(job, "validating", index, total)
    progress.report_progress(job, "validating", total, total)
    return rows, errors
