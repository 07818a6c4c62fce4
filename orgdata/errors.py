"""The refusals orgdata raises that are not core.errors' DomainErrors: an import whose rows cannot be
imported. Their messages are user-facing (the import job's report shows them). A file that cannot
be read at all is refused by core.tabular (core.errors.UnreadableFile and its kinds)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orgdata.services.imports.rows import RowError


class Rejected(Exception):
    """The file or some of its rows cannot be imported: nothing is written, the report lists each."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors
