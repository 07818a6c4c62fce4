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


class CollectionStopped(DomainError):
    """E10: the service has ceased collecting personal information (its stop date has come): a
    request that would record something new is refused; reading, exporting, signing in and out
    and everything that removes information still work (tenants.collection_stop)."""

    code = "collection_stopped"
    status_code = status.HTTP_403_FORBIDDEN
