"""The refusals the tenants app makes; core.errors gives them their JSON shape."""
from rest_framework import status

from core.errors import DomainError


class EnterpriseUnavailable(DomainError):
    """The enterprise this address serves is not active (suspended, being cancelled or set up):
    every request to it is refused, with a code saying which (`enterprise_suspended`, ...)."""

    code = "enterprise_not_ready"
    status_code = status.HTTP_403_FORBIDDEN

    def __init__(self, detail: str, *, code: str):
        super().__init__(detail)
        self.code = code


class EnterpriseUpgrading(DomainError):
    """Issue 18: the enterprise's schema lacks a migration this code expects (a deploy is bringing
    it up to date): every request to it is refused until it is, rather than served against tables
    that are not what the code reads and writes; `retry_after` says when to try again."""

    code = "upgrading"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, extra={"retry_after": retry_after})


class CollectionStopped(DomainError):
    """E10: the service has ceased collecting personal information (its stop date has come): a
    request that would record something new is refused; reading, exporting, signing in and out
    and everything that removes information still work (tenants.collection_stop)."""

    code = "collection_stopped"
    status_code = status.HTTP_403_FORBIDDEN


class BasicDetailsRequired(DomainError):
    """E1: the enterprise has not given its location, industry type and personnel size yet: basic
    services are refused until its manager does (tenants.basic_details); `missing_fields` names
    what is missing."""

    code = "basic_details_required"
    status_code = status.HTTP_403_FORBIDDEN


class RegistrationThrottled(DomainError):
    """E1: too many registration attempts from this address or for this mobile number; `retry_after`
    says how many seconds to wait."""

    code = "registration_throttled"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
