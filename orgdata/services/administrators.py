"""The enterprise's administrators (E5): manager role transfer, sub-administrators and their
department scopes, password resets, and corrections of the enterprise's own profile."""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from access.capabilities import Capability, require
from access.roles import Role, holds_role
from accounts import services as account_services
from accounts.models import User
from audit.context import Actor
from audit.recording import record_event
from orgdata import permissions
from orgdata.models import Department, DepartmentAdministratorPermission, Employee
from orgdata.selectors import scope as scope_selectors
from tenants import services as tenant_services


def _administer_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="orgdata", codename=permissions.ADMINISTER_DEPARTMENT)


@transaction.atomic
def appoint_sub_administrator(*, actor: User, person: User, departments: Iterable[Department]) -> User:
    """Make `person` a sub-administrator of exactly `departments` (each with its subtree).

    Calling it again for a sub-administrator replaces their departments. Manager only; refuses
    the manager themself, a deactivated account, and an empty list of departments.
    """
    require(actor, Capability.ADMINISTER_ADMINISTRATORS)
    person = User.objects.select_for_update().get(pk=person.pk)
    departments = list(departments)
    if holds_role(person, Role.MANAGER):
        raise ValidationError({"account": [_("The enterprise manager administers everything already.")]})
    if not person.is_active:
        raise ValidationError({"account": [_("This account is deactivated.")]})
    if not departments:
        raise ValidationError({"departments": [_("Choose at least one department.")]})
    permission = _administer_permission()
    DepartmentAdministratorPermission.objects.filter(user=person, permission=permission).exclude(
        content_object__in=departments).delete()
    for department in departments:
        # guardian picks the direct-foreign-key model (DepartmentAdministratorPermission) itself.
        assign_perm(permissions.ADMINISTER_DEPARTMENT_PERM, person, department)
    account_services.assign_role(actor=actor, person=person, role=Role.SUB_ADMIN)
    return person


@transaction.atomic
def remove_sub_administrator(*, actor: User, person: User) -> User:
    """Make a sub-administrator a plain employee again and withdraw all their department grants."""
    require(actor, Capability.ADMINISTER_ADMINISTRATORS)
    person = User.objects.select_for_update().get(pk=person.pk)
    if not holds_role(person, Role.SUB_ADMIN):
        raise ValidationError({"account": [_("This person is not a sub-administrator.")]})
    DepartmentAdministratorPermission.objects.filter(user=person).delete()
    account_services.assign_role(actor=actor, person=person, role=Role.EMPLOYEE)
    return person


@transaction.atomic
def transfer_manager_role(*, actor: User, password: str, new_manager: User) -> User:
    """Hand the enterprise manager role to another active person (E5).

    The current manager re-authenticates with their password first. Afterwards there is still
    exactly one manager: the new one; the old manager becomes an employee. The new manager's
    sub-administrator grants lapse (they now administer everything). Refuses a wrong password,
    the manager themself, and a deactivated account.
    """
    require(actor, Capability.HAND_OVER_MANAGER_ROLE)
    # Serialise transfers: two concurrent transfers must not leave two managers.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}:manager-role"])
    actor = User.objects.select_for_update().get(pk=actor.pk)
    new_manager = User.objects.select_for_update().get(pk=new_manager.pk)
    # Asked again on the locked row: a concurrent transfer may have made the actor an employee.
    require(actor, Capability.HAND_OVER_MANAGER_ROLE)
    if not actor.check_password(password or ""):
        raise ValidationError({"password": [_("Your password is incorrect.")]})
    if new_manager.pk == actor.pk:
        raise ValidationError({"new_manager": [_("Choose someone else.")]})
    if not new_manager.is_active or holds_role(new_manager, Role.PLATFORM_STAFF):
        raise ValidationError({"new_manager": [_("This account cannot become the enterprise manager.")]})
    DepartmentAdministratorPermission.objects.filter(user=new_manager).delete()
    # The new manager first: assign_role asks the actor's capability, which the actor holds only
    # until they step down.
    account_services.assign_role(actor=actor, person=new_manager, role=Role.MANAGER)
    account_services.assign_role(actor=actor, person=actor, role=Role.EMPLOYEE)
    if User.objects.filter(role=Role.MANAGER).count() != 1:  # the invariant, checked before commit
        raise RuntimeError("manager role transfer would not leave exactly one manager")
    return new_manager


@transaction.atomic
def reset_employee_password(*, actor: User, employee: Employee) -> str:
    """E5: give a person a temporary password they must change at their next sign-in.

    Refuses people outside the actor's departments (as "not found"), the actor's own account and,
    for a sub-administrator, other administrators. Returns the temporary password to show once.
    """
    employee = scope_selectors.employee_visible_to(actor, employee.pk)
    require(actor, Capability.RESET_PASSWORD, target=employee.account)
    return account_services.reset_password_forcing_change(actor=actor, person=employee.account)


ENTERPRISE_PROFILE_FIELDS = tenant_services.PROFILE_FIELDS


@transaction.atomic
def correct_enterprise_profile(*, actor: User, changes: dict) -> list[str]:
    """E5: the manager corrects and supplements the current enterprise's own data (name, location,
    industry type, personnel size — E1 keeps the last three required); returns the fields changed.

    Only the fields in `changes` are written, and of those only the ones whose value differs from
    the stored row: a value the manager did not touch is never overwritten (the console passes the
    fields its form saw changed). The change is recorded in the audit log (field names only).
    Refuses anyone but the manager, unknown fields and invalid values.
    """
    require(actor, Capability.CORRECT_ENTERPRISE_PROFILE)
    cleaned = {field: (value or "").strip() if isinstance(value, str) or value is None else value
               for field, value in changes.items()}
    enterprise, changed = tenant_services.correct_current_enterprise_profile(actor=actor, changes=cleaned)
    if changed:
        record_event(action="enterprise_profile_corrected", object_type="tenants.enterprise",
                     object_id=enterprise.pk, changed_fields=changed, actor=Actor.for_user(actor))
    return changed
