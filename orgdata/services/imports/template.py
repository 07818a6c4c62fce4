"""The import template (issue 14): the columns and how to fill them, never a sample person.

The XLSX file's first sheet is the one the import reads: headers only, with drop-down lists of the
allowed values in the choice columns (gender, work status, education: fixed; positions and job
levels: the enterprise's current lists, read when the file is downloaded). A second sheet explains
how to fill it in; a hidden third sheet holds the lists the drop-downs point to (an in-cell list
is limited to 255 characters). The CSV file can only carry the headers: its instructions are on
the import page.
"""
from __future__ import annotations

import io

from django.utils.translation import gettext as _

from core import tabular
from orgdata.columns import COLUMNS, DEPARTMENT_SEPARATOR
from orgdata.models import Employee
from orgdata.selectors import address_book as address_book_selectors

# Rows of the first sheet that carry the drop-down lists and the text format.
TEMPLATE_ROWS = 5000
_TEXT_KEYS = ("employee_number", "mobile", "id_number", "landline", "qq")


def header() -> list[str]:
    return [f"{column.label}{'*' if column.required else ''}" for column in COLUMNS]


def instructions() -> list[str]:
    """How to fill in the file, in the downloader's language (also shown on the import page)."""
    return [
        _("Fill in one person per row on the first sheet, from row 2. Columns marked * are required."),
        _("Employee number identifies a person: a row whose number exists already corrects that person's "
          "record; an empty cell leaves a value as it was."),
        _("Department: the full path of names separated by %(separator)s, e.g. Headquarters%(separator)sR&D. "
          "Departments that do not exist are listed in the preview before anything is written.")
        % {"separator": DEPARTMENT_SEPARATOR},
        _("Position and job level: choose from the lists (the enterprise's current ones). A name that does not "
          "exist is listed in the preview and created only if you choose so when confirming."),
        _("Gender, work status and education: choose from the lists."),
        _("Dates: YYYY-MM-DD, e.g. 2024-03-01."),
        _("After the upload you see a preview (people to add, to change, unchanged; new departments) and "
          "nothing is written until you confirm it."),
        _("Upload only people who were informed that the enterprise processes their personal information in "
          "this address book, and consented to it."),
    ]


def template_file(file_format: str) -> bytes:
    """The template in `file_format` ("csv" or "xlsx"), in the current language."""
    if file_format == "csv":
        return tabular.write_csv(header(), [])
    return _xlsx()


def _choice_labels(choices) -> list[str]:
    return [str(label) for _value, label in choices]


def _xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Address book"))[:31]
    sheet.append(header())
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(str(_("Instructions"))[:31])
    for line in instructions():
        guide.append([line])
    guide.append([])
    guide.append([_("Column"), _("Required")])
    for column in COLUMNS:
        guide.append([str(column.label), _("Yes") if column.required else ""])
    guide.column_dimensions["A"].width = 100

    lists = book.create_sheet("lists")
    lists.sheet_state = "hidden"
    choices = {
        "gender": (_choice_labels(Employee.Gender.choices), True),
        "work_status": (_choice_labels(Employee.WorkStatus.choices), True),
        "education": (_choice_labels(Employee.Education.choices), True),
        # Positions and job levels may name a new value (the preview lists it): a warning, not a stop.
        "position": (list(address_book_selectors.positions().values_list("name", flat=True)), False),
        "job_level": (list(address_book_selectors.job_levels().values_list("name", flat=True)), False),
    }
    next_list_column = 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if column.key in _TEXT_KEYS:
            # Mobile and ID numbers stay text, not 1.38E+10.
            for (cell,) in sheet.iter_rows(min_row=2, max_row=TEMPLATE_ROWS + 1, min_col=index, max_col=index):
                cell.number_format = "@"
        sheet.column_dimensions[letter].width = max(12, len(str(column.label)) + 4)
        if column.key not in choices:
            continue
        values, is_strict = choices[column.key]
        if not values:
            continue
        list_column, next_list_column = get_column_letter(next_list_column), next_list_column + 1
        for row, value in enumerate(values, start=1):
            # A formula-looking name is stored as text (the exports' rule).
            lists[f"{list_column}{row}"] = value
            if tabular.is_formula_like(value):
                lists[f"{list_column}{row}"].data_type = "s"
        source = f"{quote_sheetname('lists')}!${list_column}$1:${list_column}${len(values)}"
        validation = DataValidation(type="list", formula1=source, allow_blank=True, showDropDown=False,
                                    showErrorMessage=True, errorStyle="stop" if is_strict else "warning",
                                    errorTitle=str(column.label),
                                    error=_("Choose a value from the list.") if is_strict else _(
                                        "This value is not in the list; the import's preview will list it as new."))
        sheet.add_data_validation(validation)
        validation.add(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
