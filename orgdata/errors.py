"""The refusals orgdata raises that are not core.errors' DomainErrors: an import file that cannot be
read or imported. Their messages are user-facing (the import job's report shows them)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orgdata.services.imports.rows import RowError


class UnreadableFile(ValueError):
    """The upload is not a CSV or XLSX file this importer can read (message is user-facing)."""


class FileRefused(UnreadableFile):
    """The file breaks one of orgdata.tabular's hard limits; it is refused before anything more is
    read (message is user-facing and names the limit)."""


class BadCell(UnreadableFile):
    """One cell cannot be imported at all (e.g. a NUL character): `row` as the spreadsheet
    numbers it, `column` counted from 1 (message is user-facing)."""

    def __init__(self, row: int, column: int, message: str):
        super().__init__(message)
        self.row, self.column = row, column


class Rejected(Exception):
    """The file or some of its rows cannot be imported: nothing is written, the report lists each."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors
