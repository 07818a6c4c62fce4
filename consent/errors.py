"""The refusals the consent app raises; core.errors maps them to 403 with their code."""
from rest_framework import status

from core.errors import DomainError


class ConsentRequired(DomainError):
    """The person has not consented to the purpose (or has withdrawn): processing is refused."""

    code = "consent_required"
    status_code = status.HTTP_403_FORBIDDEN


class PolicyAcceptanceRequired(DomainError):
    """C8: a significant policy change is in force and the person has not accepted it."""

    code = "policy_acceptance_required"
    status_code = status.HTTP_403_FORBIDDEN


class GatedWriteRefused(ConsentRequired):
    """A write path that cannot ask the gate about each person — bulk_create, bulk_update, or
    QuerySet.update() of a consent-gated field — is refused outright (consent.gate.GatedQuerySet).
    The row has to be saved through its model (the gate's pre_save guard) or its app's service."""


class GuardianConsentRequired(DomainError):
    """M1: the person is a minor (16 or 17) and their guardian's consent does not list the purpose
    they are consenting to; `extra["purpose"]` names it."""

    code = "guardian_consent_required"
    status_code = status.HTTP_403_FORBIDDEN
