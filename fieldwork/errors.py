"""The refusals the field-work app raises; core.errors maps them to their status with their code."""
from rest_framework import status

from core.errors import DomainError


class VisitNotOpen(DomainError):
    """The visit was already checked out (or is not the person's own): nothing more is added to it."""

    code = "visit_not_open"
    status_code = status.HTTP_409_CONFLICT
