"""Who administers which part of the organisation, as querysets (E5).

The rule is the catalogue's (access.capabilities.scope_of: everything for the manager, the granted
department subtrees for a sub-administrator, nothing for anyone else); the querysets it scopes are
built here: `departments_visible_to(actor)` and `employees_visible_to(actor)`. The console, the
API, the export and the import all start from these two, so a sub-administrator sees and changes
exactly the same people everywhere. `OrganisationScope` is what the catalogue asks about one
target (registered by OrgdataConfig.ready).
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from access.capabilities import Capability, Scope, may, scope_of
from access.errors import NotInYourScope
from access.roles import ADMINISTRATOR_ROLES
from accounts.models import User
from orgdata import permissions
from orgdata.models import Department, DepartmentAdministratorPermission, Employee, ExportJob, ImportJob


def administered_roots_of(actor) -> QuerySet[Department]:
    """The departments granted to a sub-administrator (each covers its whole subtree)."""
    granted = DepartmentAdministratorPermission.objects.filter(
        user_id=actor.pk, permission__codename=permissions.ADMINISTER_DEPARTMENT
    ).values("content_object_id")
    return Department.objects.filter(pk__in=granted)


def departments_visible_to(actor) -> QuerySet[Department]:
    """Departments `actor` may see and administer: all for the manager, the granted subtrees for a
    sub-administrator, none for anyone else."""
    scope = scope_of(actor)
    if scope is Scope.EVERYTHING:
        return Department.objects.all()
    if scope is Scope.NOTHING:
        return Department.objects.none()
    roots = list(administered_roots_of(actor).values_list("path", flat=True))
    if not roots:
        return Department.objects.none()
    within = Q()
    for path in roots:
        within |= Q(path__startswith=path)
    return Department.objects.filter(within)


def employees_visible_to(actor) -> QuerySet[Employee]:
    """Employees `actor` may see and change as an administrator.

    The manager: everyone. A sub-administrator: people whose department lies in one of their
    subtrees (people without a department belong to the manager). Anyone else: nobody.
    """
    scope = scope_of(actor)
    if scope is Scope.EVERYTHING:
        return Employee.objects.all()
    if scope is Scope.NOTHING:
        return Employee.objects.none()
    return Employee.objects.filter(department__in=departments_visible_to(actor))


def employee_visible_to(actor, pk) -> Employee:
    """One employee by id, or NotInYourScope (404) when absent or outside the actor's scope."""
    try:
        return employees_visible_to(actor).select_related(
            "account", "department", "position", "job_level").get(pk=pk)
    except (Employee.DoesNotExist, ValueError, TypeError):
        raise NotInYourScope()


def department_visible_to(actor, pk) -> Department:
    try:
        return departments_visible_to(actor).get(pk=pk)
    except (Department.DoesNotExist, ValueError, TypeError):
        raise NotInYourScope()


class OrganisationScope:
    """The catalogue's scope resolver (access.resolvers): is a department, an employee record or
    an account inside the departments granted to a sub-administrator."""

    def contains(self, actor, target) -> bool:
        if isinstance(target, Department):
            return departments_visible_to(actor).filter(pk=target.pk).exists()
        if isinstance(target, Employee):
            return employees_visible_to(actor).filter(pk=target.pk).exists()
        if isinstance(target, User):
            return employees_visible_to(actor).filter(account_id=target.pk).exists()
        raise TypeError(f"no organisation scope for {type(target).__name__}")

    def accounts_within(self, actor) -> QuerySet:
        """The accounts of the people `actor` administers: the people lists of the apps below
        orgdata (consent's sharing ledger, attendance records) filter by it."""
        return employees_visible_to(actor).values("account_id")


def administrators() -> QuerySet[User]:
    return User.objects.filter(role__in=ADMINISTRATOR_ROLES).order_by("role", "display_name")


def grants_by_administrator(accounts: Iterable[User]) -> dict[int, list[Department]]:
    grants: dict[int, list[Department]] = {}
    rows = DepartmentAdministratorPermission.objects.filter(
        user__in=list(accounts), permission__codename=permissions.ADMINISTER_DEPARTMENT
    ).select_related("content_object")
    for row in rows:
        grants.setdefault(row.user_id, []).append(row.content_object)
    return grants


def imports_visible_to(actor) -> QuerySet[ImportJob]:
    """The manager sees every import; a sub-administrator their own."""
    if may(actor, Capability.SEE_EVERY_IMPORT):
        return ImportJob.objects.all()
    if may(actor, Capability.IMPORT_ADDRESS_BOOK):
        return ImportJob.objects.filter(created_by=actor)
    return ImportJob.objects.none()


def import_visible_to(actor, pk) -> ImportJob:
    try:
        return imports_visible_to(actor).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise NotInYourScope()


def exports_visible_to(actor) -> QuerySet[ExportJob]:
    """One's own exports only: each file is scoped and masked for the administrator who asked for it."""
    if may(actor, Capability.EXPORT_ADDRESS_BOOK):
        return ExportJob.objects.filter(created_by=actor)
    return ExportJob.objects.none()


def export_visible_to(actor, pk) -> ExportJob:
    try:
        return exports_visible_to(actor).get(pk=pk)
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise NotInYourScope()
