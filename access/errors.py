"""The refusals the capability catalogue raises (besides core.errors.NotPermitted)."""
from __future__ import annotations

from rest_framework import status

from core.errors import DomainError, NotPermitted


class NotInYourScope(DomainError):
    """The object does not exist for this administrator (outside their departments, or absent).

    Deliberately indistinguishable from "does not exist": a sub-administrator must not learn who
    works outside their departments.
    """

    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND


class ApplicationNotAuthorised(NotPermitted):
    """E6: the enterprise switched this application off for the person asking."""

    code = "application_not_authorised"
