"""orgdata's adapters to the capability catalogue (access.capabilities decides; E5).

The sub-administrator's departments are django-guardian object permissions on departments with
the codename below; orgdata.selectors.scope turns them into the scope the catalogue asks about.
"""
from __future__ import annotations

from rest_framework.permissions import BasePermission

from access.capabilities import Capability, may

ADMINISTER_DEPARTMENT = "administer_department"
ADMINISTER_DEPARTMENT_PERM = f"orgdata.{ADMINISTER_DEPARTMENT}"


class IsOrganisationAdministrator(BasePermission):
    """API: the manager or a sub-administrator of the enterprise serving the request."""

    def has_permission(self, request, view):
        return may(request.user, Capability.ADMINISTER_ORGANISATION)
