"""The refusals of enterprise certification (E4)."""
from __future__ import annotations

from rest_framework import status

from core.errors import DomainError


class CertificationCaseOpen(DomainError):
    """A submission is being checked or waits for review, or the enterprise is already certified:
    nothing new can be submitted until it is decided (a rejection reopens the form)."""

    code = "certification_case_open"
    status_code = status.HTTP_409_CONFLICT


class NotReviewable(DomainError):
    """Only a submission waiting for review can be approved or rejected."""

    code = "certification_not_reviewable"
    status_code = status.HTTP_409_CONFLICT
