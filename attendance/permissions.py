"""attendance's adapters to the capability catalogue (access.capabilities decides)."""
from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from access.capabilities import Capability, require

ATTENDANCE_APPLICATION = "attendance"  # its code in the application catalogue (orgdata.catalogue)


class AttendanceApplicationOn(BasePermission):
    """E6: every attendance API endpoint answers 403 `application_not_authorised` to a person
    whose attendance application the enterprise switched off."""

    def has_permission(self, request, view):
        require(request.user, Capability.USE_APPLICATION, target=ATTENDANCE_APPLICATION,
                refusal=_("The attendance application is switched off for you."))
        return True
