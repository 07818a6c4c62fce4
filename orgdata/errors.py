"""The refusals orgdata raises: an import whose rows cannot be imported, and (DomainErrors) an edit
that revealed a child under 14 (M2) or someone of 14 or 15 (M1). Their messages are user-facing (the import job's report shows
them). A file that cannot be read at all is refused by core.tabular (core.errors.UnreadableFile and
its kinds)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from core.errors import DomainError

if TYPE_CHECKING:
    from orgdata.services.imports.rows import RowError


class Rejected(Exception):
    """The file or some of its rows cannot be imported: nothing is written, the report lists each."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


class ChildInformationDeleted(DomainError):
    """M2: an edit revealed that the person is under 14. Their edited values were not stored, their
    account was disabled and their information is being erased; `fields` names what revealed it."""

    code = "child_information_deleted"
    status_code = 400

    def __init__(self, *, fields: dict[str, list[str]]):
        super().__init__(_("This person is under 14: the changes were not stored, their account was disabled and "
                           "their information is being deleted."), extra={"fields": fields})


class UnderWorkingAge(DomainError):
    """M1: an edit revealed that the person is 14 or 15, under the legal working age. Their edited
    values were not stored, their account was disabled and a case opened for the manager to verify;
    `fields` names what revealed it."""

    code = "under_working_age"
    status_code = 400

    def __init__(self, *, fields: dict[str, list[str]]):
        super().__init__(_("This person is under 16, the legal working age: the changes were not stored, their "
                           "account was disabled and the enterprise manager verifies the case."),
                         extra={"fields": fields})


class CertificationRequired(DomainError):
    """E4: the application is reserved to certified enterprises and this one is not certified yet
    (409: the enterprise's state, not the administrator's rights, stands in the way; the console
    shows it on the switch form)."""

    code = "certification_required"
    status_code = 409

    def __init__(self, *, code: str, name: str):
        super().__init__(_("%(application)s can be switched on only after the enterprise is certified. "
                           "Apply for certification first (Organisation → Certification).")
                         % {"application": name}, extra={"application": code})
