"""The refusals of the approvals app; core.errors maps them to their status with their code."""
from rest_framework import status

from core.errors import DomainError, NotPermitted


class KindNotOffered(DomainError):
    """The enterprise has not switched this kind of request on."""

    code = "kind_not_offered"
    status_code = status.HTTP_403_FORBIDDEN


class NoApprover(DomainError):
    """Nobody can decide: the applicant's department has no head and the kind no named approver."""

    code = "no_approver"
    status_code = status.HTTP_409_CONFLICT


class NotYourStep(NotPermitted):
    """X4: only the approver of the request's current step decides it."""

    code = "not_your_step"


class NotDecidable(DomainError):
    """The request is not in a state that allows this (already decided, withdrawn, ...)."""

    code = "approval_not_open"
    status_code = status.HTTP_409_CONFLICT
