"""The roles an account holds, and the one reading of an account's role."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MANAGER = "manager", _("Enterprise manager")
    SUB_ADMIN = "sub_admin", _("Sub-administrator")
    EMPLOYEE = "employee", _("Employee")
    PLATFORM_STAFF = "platform_staff", _("Platform support staff")


ADMINISTRATOR_ROLES = (Role.MANAGER, Role.SUB_ADMIN)


def role_of(account) -> Role | None:
    """The role `account` acts in; None for anyone not signed in or deactivated.

    An account flagged `is_staff` is platform support staff whatever its role field says (the
    Django admin and the audit log have always read the flag that way).
    """
    if account is None or not getattr(account, "is_authenticated", False) or not getattr(account, "is_active", False):
        return None
    if is_platform_staff_account(account):
        return Role.PLATFORM_STAFF
    try:
        return Role(account.role)
    except ValueError:
        return None


def is_platform_staff_account(account) -> bool:
    """Whether `account` is a platform support staff account (by its role or its `is_staff` flag)."""
    return holds_role(account, Role.PLATFORM_STAFF) or bool(getattr(account, "is_staff", False))


def holds_role(account, role: Role) -> bool:
    """Whether `account` (active or not) is recorded with `role`: for invariants about the
    account as a record (e.g. "the manager's record"), not for what its holder may do."""
    return getattr(account, "role", None) == role
