"""Who may administer which part of the organisation: the one place orgdata's role rules live (E5).

Roles: the enterprise manager (exactly one) administers everything; a sub-administrator
administers the department subtrees granted to them (django-guardian object permissions on
departments, see orgdata.selectors.departments_visible_to); employees administer nothing but
their own profile. Views and services ask these functions; none of them re-implements a rule.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.permissions import BasePermission

from accounts.models import User
from core.errors import DomainError, NotPermitted
from privacy.unmask import may_unmask

ADMINISTER_DEPARTMENT = "administer_department"
ADMINISTER_DEPARTMENT_PERM = f"orgdata.{ADMINISTER_DEPARTMENT}"


class NotInYourScope(DomainError):
    """The object does not exist for this administrator (outside their departments, or absent).

    Deliberately indistinguishable from "does not exist": a sub-administrator must not learn who
    works outside their departments.
    """

    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_enterprise_manager(user) -> bool:
    return _active(user) and user.role == User.Role.MANAGER


def is_sub_administrator(user) -> bool:
    return _active(user) and user.role == User.Role.SUB_ADMIN


def can_administer_organisation(user) -> bool:
    """Manager or sub-administrator: may open the organisation pages (scoped by the selectors)."""
    return is_enterprise_manager(user) or is_sub_administrator(user)


def require_organisation_administrator(user) -> None:
    if not can_administer_organisation(user):
        raise NotPermitted(_("Only enterprise administrators can do this."))


def require_enterprise_manager(user) -> None:
    """Manager-only actions: administrators, role transfer, enterprise-wide switches, enterprise profile."""
    if not is_enterprise_manager(user):
        raise NotPermitted(_("Only the enterprise manager can do this."))


def can_reset_password_of(actor, account) -> bool:
    """The manager resets anyone's but their own; a sub-administrator only plain employees'.

    (Whether the account is inside the sub-administrator's departments is the selector's part.)
    """
    if account.pk == getattr(actor, "pk", None):
        return False
    if is_enterprise_manager(actor):
        return True
    return is_sub_administrator(actor) and account.role == User.Role.EMPLOYEE


def can_edit_identity_of(actor, account) -> bool:
    """E5: the manager edits anyone's record; a sub-administrator only plain employees'.

    An administrator's login mobile and name are the keys to an administrator account: a
    sub-administrator whose departments hold the manager's (or another sub-administrator's)
    record must not be able to take it over. (Whether the record is inside the
    sub-administrator's departments is the selector's part.)
    """
    if is_enterprise_manager(actor):
        return True
    return is_sub_administrator(actor) and account.role == User.Role.EMPLOYEE


def can_reveal_sensitive_values(user) -> bool:
    """E5/X2: seeing unmasked mobile and ID numbers in the console and exports.

    The privacy core's unmask permission decides; the enterprise manager holds it by role.
    """
    return may_unmask(user)


class IsOrganisationAdministrator(BasePermission):
    """API: the manager or a sub-administrator of the enterprise serving the request."""

    def has_permission(self, request, view):
        return can_administer_organisation(request.user)
