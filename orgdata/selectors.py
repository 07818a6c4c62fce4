"""Reads of the organisation structure, already scoped to who is asking.

The scoping rule of E5 is the catalogue's (access.capabilities.scope_of); the querysets it
scopes are built here: `departments_visible_to(actor)` and `employees_visible_to(actor)`. The
console, the API, the export and the import all start from these two querysets, so a
sub-administrator sees and changes exactly the same people everywhere. `OrganisationScope` is
what the catalogue asks about a target (registered by OrgdataConfig.ready).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from django.db import connection
from django.db.models import Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from access.capabilities import Capability, Scope, may, scope_of
from access.errors import NotInYourScope
from access.roles import ADMINISTRATOR_ROLES
from accounts.models import User
from orgdata import permissions
from orgdata.models import (
    Application,
    ApplicationSwitch,
    Department,
    DepartmentAdministratorPermission,
    Employee,
    ImportJob,
    JobLevel,
    Position,
)
from privacy.crypto import blind_index
from privacy.keys import preload_person_keys
from tenants.models import Enterprise


def organisation_summary() -> dict:
    """Counts for the console dashboard of the current enterprise."""
    return {
        "departments": Department.objects.count(),
        "employees": Employee.objects.count(),
        "active_accounts": User.objects.filter(is_active=True).count(),
        "administrators": User.objects.filter(role__in=ADMINISTRATOR_ROLES).count(),
    }


# --- the scoping rule (E5) ------------------------------------------------------------------

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


# --- address book reads -----------------------------------------------------------------------

def search_employees(queryset: QuerySet[Employee], *, text: str = "", department: Department | None = None,
                     work_status: str = "", include_subdepartments: bool = True) -> QuerySet[Employee]:
    """Narrow an (already scoped) employee queryset by the console's or the directory's search box.

    What the text is decides what it is compared with, so each search can use an index: a
    complete mobile number is matched exactly through the privacy core's blind index (the number
    itself is never compared in plaintext); Latin text with a digit is an employee-number
    prefix; anything else is a name prefix.
    """
    text = (text or "").strip()
    if text:
        queryset = queryset.filter(_search_condition(text))
    if department is not None:
        if include_subdepartments:
            # Ids rather than a join on the path: the (department, employee number) index then
            # serves "this subtree, in employee-number order".
            subtree = list(Department.objects.filter(path__startswith=department.path).values_list("pk", flat=True))
            queryset = queryset.filter(department_id__in=subtree)
        else:
            queryset = queryset.filter(department=department)
    if work_status:
        queryset = queryset.filter(work_status=work_status)
    return queryset


def _searched_field(text: str) -> str:
    """Which field a search text is compared with: "mobile", "employee_number" or "display_name"."""
    compact = text.replace(" ", "").replace("-", "")
    if compact.lstrip("+").isdigit() and len(compact.lstrip("+")) >= 11:
        return "mobile"
    if text.isascii() and any(character.isdigit() for character in text):
        return "employee_number"
    return "display_name"


def _search_condition(text: str) -> Q:
    field = _searched_field(text)
    if field == "mobile":
        # A subquery on the accounts' blind-index lookup: no account is loaded (or decrypted) for it.
        return Q(account__in=User.objects.with_mobile(text).values("pk"))
    if field == "employee_number":
        return Q(employee_number__startswith=text)
    return Q(account__display_name__startswith=text)


def employees_with_id_number(id_number: str) -> QuerySet[Employee]:
    """Employees whose resident ID number is `id_number` (normalised), found by its blind index."""
    index = blind_index("id_number", id_number)
    return Employee.objects.filter(id_number_index=index) if index else Employee.objects.none()


def employee_ids_with_id_numbers(id_numbers: list[str]) -> dict[str, int]:
    """{ID number: employee id} for those of `id_numbers` (normalised) somebody here already has."""
    number_by_index = {blind_index("id_number", number): number for number in id_numbers if number}
    indexes = list(number_by_index)
    owners: dict[str, int] = {}
    for start in range(0, len(indexes), 5000):
        found = Employee.objects.filter(id_number_index__in=indexes[start:start + 5000]).values_list(
            "id_number_index", "pk")
        owners.update((number_by_index[index], pk) for index, pk in found)
    return owners


def department_tree(queryset: QuerySet[Department]) -> list[dict]:
    """Departments as a depth-first list of {"department", "depth", "employee_count"} rows."""
    from django.db.models import Count

    departments = list(queryset.annotate(employee_count=Count("employees")).order_by("path"))
    by_parent: dict[int | None, list[Department]] = {}
    ids = {department.pk for department in departments}
    for department in departments:
        parent = department.parent_id if department.parent_id in ids else None
        by_parent.setdefault(parent, []).append(department)
    rows: list[dict] = []

    def walk(parent_id, depth):
        for department in sorted(by_parent.get(parent_id, []), key=lambda d: (d.sort_order, d.name)):
            rows.append({"department": department, "depth": depth, "employee_count": department.employee_count})
            walk(department.pk, depth + 1)

    walk(None, 0)
    return rows


def department_label(department: Department | None, *, names: dict[int, str] | None = None) -> str:
    """"Headquarters/R&D/Back end": the department's full path of names (import and export)."""
    if department is None:
        return ""
    ids = [int(part) for part in department.path.strip("/").split("/") if part]
    if names is None:
        names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    return "/".join(names.get(pk, "?") for pk in ids)


def department_names() -> dict[int, str]:
    return dict(Department.objects.values_list("pk", "name"))


def positions() -> QuerySet[Position]:
    return Position.objects.all()


def job_levels() -> QuerySet[JobLevel]:
    return JobLevel.objects.all()


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


# --- version authorisation (E6) ---------------------------------------------------------------

def application_catalogue() -> QuerySet[Application]:
    return Application.objects.all()


def _effective(application: Application, switches: list[ApplicationSwitch], *, account_id: int,
               department_path: str) -> bool:
    """The most specific switch wins: the person's own, then the nearest department, then the
    enterprise's, then the application's default."""
    enterprise_level = None
    nearest, nearest_depth = None, -1
    for switch in switches:
        if switch.account_id is not None:
            if switch.account_id == account_id:
                return switch.is_enabled
        elif switch.department_id is not None:
            marker = f"/{switch.department_id}/"
            if marker in department_path:
                depth = department_path.index(marker)
                if depth > nearest_depth:
                    nearest, nearest_depth = switch.is_enabled, depth
        else:
            enterprise_level = switch.is_enabled
    if nearest is not None:
        return nearest
    if enterprise_level is not None:
        return enterprise_level
    return application.is_enabled_by_default


def enabled_states(application: Application, accounts: Iterable[tuple[int, str]]) -> dict[int, bool]:
    """{account id: whether `application` is on for them} for (account id, department path) pairs."""
    switches = list(application.switches.all())
    return {account_id: _effective(application, switches, account_id=account_id, department_path=path or "")
            for account_id, path in accounts}


def applications_enabled_for(account: User) -> list[Application]:
    """The applications switched on for one person, as their app shows them."""
    path = Department.objects.filter(employees__account=account).values_list("path", flat=True).first() or ""
    enabled = []
    for application in Application.objects.prefetch_related("switches"):
        if _effective(application, list(application.switches.all()), account_id=account.pk, department_path=path):
            enabled.append(application)
    return enabled


def _application_for(account: User, code: str):
    """The application `code` with, in the same row, every switch of it (`switch_rows`) and the
    department path of `account` (`requester_path`); None when the catalogue has no such application.

    One hand-written statement: the directory and the attendance API ask on every request (E6,
    through access.capabilities), and composing this query with the ORM cost several times what
    running it does.
    """
    statement = f"""
        SELECT application.id, application.is_enabled_by_default,
               (SELECT department.path FROM {Department._meta.db_table} department
                  JOIN {Employee._meta.db_table} employee ON employee.department_id = department.id
                 WHERE employee.account_id = %(account)s LIMIT 1),
               (SELECT coalesce(json_agg(json_build_object(
                           'account_id', switch.account_id, 'department_id', switch.department_id,
                           'is_enabled', switch.is_enabled)), '[]'::json)::text
                  FROM {ApplicationSwitch._meta.db_table} switch WHERE switch.application_id = application.id)
          FROM {Application._meta.db_table} application
         WHERE application.code = %(code)s"""
    with connection.cursor() as cursor:
        cursor.execute(statement, {"account": account.pk, "code": code})
        row = cursor.fetchone()
    if row is None:
        return None
    pk, enabled_by_default, path, switches = row
    return SimpleNamespace(
        pk=pk, is_enabled_by_default=enabled_by_default, requester_path=path or "",
        switches=[SimpleNamespace(**switch) for switch in json.loads(switches)])


def is_application_enabled_for(account: User, code: str) -> bool:
    """Whether one application is on for one person: the catalogue's application resolver (E6)."""
    application = _application_for(account, code)
    return application is not None and _effective(
        application, application.switches, account_id=account.pk, department_path=application.requester_path)


def application_switches(application: Application) -> QuerySet[ApplicationSwitch]:
    return application.switches.select_related("department", "account").order_by("department__path", "account_id")


# --- the mobile directory and profile (E7, R1) --------------------------------------------------

# E7: what colleagues see of each other in the address book. Name and department always; the
# enterprise manager chooses any of the optional fields (orgdata.services.directory). Contact
# values are shown masked, never in clear (orgdata.api.serializers).
DIRECTORY_FIELDS_SETTING = "directory_fields"  # key in the enterprise's settings
DIRECTORY_ALWAYS_SHOWN = ("display_name", "department")
DIRECTORY_OPTIONAL_FIELDS = ("position", "job_level", "title", "employee_number", "work_status",
                             "mobile", "landline", "email")
# For an enterprise whose settings name no choice (provisioning stores one for every new enterprise).
DIRECTORY_DEFAULT_FIELDS = ("display_name", "department", "position", "mobile")
# The columns each field is read from; only the shown ones are ever selected.
_DIRECTORY_COLUMNS = {
    "display_name": ("account__display_name",),
    "department": ("department_id", "department__name"),
    "position": ("position_id", "position__name"),
    "job_level": ("job_level_id", "job_level__name"),
    "title": ("title",),
    "employee_number": ("employee_number",),
    "work_status": ("work_status",),
    "landline": ("landline",),
    "email": ("email",),
    "mobile": ("account__person_key_id",),  # read sealed, opened afterwards (see directory_page)
}
_NAMED_FIELDS = ("department", "position", "job_level")  # shown as {"id", "name"}


def directory_fields() -> tuple[str, ...]:
    """The address-book fields the current enterprise shows its people, in display order."""
    return _shown_directory_fields(
        Enterprise.objects.filter(schema_name=connection.schema_name).values_list("settings", flat=True).first())


def _shown_directory_fields(settings: dict | None) -> tuple[str, ...]:
    chosen = (settings or {}).get(DIRECTORY_FIELDS_SETTING)
    if not isinstance(chosen, list):
        chosen = DIRECTORY_DEFAULT_FIELDS
    return DIRECTORY_ALWAYS_SHOWN + tuple(field for field in DIRECTORY_OPTIONAL_FIELDS if field in chosen)


def directory(*, fields: Sequence[str], text: str = "", department_ids: list[int] | None = None) -> QuerySet[Employee]:
    """Colleagues as the address book lists them: everyone still employed, by employee number;
    only those in `department_ids` when given (see `directory_subtree`).

    The search text is compared only with a field the enterprise shows (`fields`): nobody finds
    out whose a mobile or employee number is by searching for it when the address book hides it.
    """
    text = (text or "").strip()
    if text and _searched_field(text) not in fields:
        return Employee.objects.none()
    people = search_employees(Employee.objects.exclude(work_status=Employee.WorkStatus.LEFT), text=text)
    if department_ids is not None:
        people = people.filter(department_id__in=department_ids)
    return people.order_by("employee_number")


def directory_subtree(department_id: int) -> list[int]:
    """Ids of the department `department_id` and everything below it (empty when there is no such
    department), by one query. Ids rather than a join on the path: the (department, employee
    number) index then serves "this subtree, in employee-number order"."""
    root_path = Department.objects.filter(pk=department_id).values("path")[:1]
    return list(departments_for_directory().filter(path__startswith=Subquery(root_path))
                .order_by().values_list("pk", flat=True))


def directory_page(people: QuerySet[Employee], *, fields: Sequence[str], offset: int,
                   limit: int) -> tuple[list[dict], bool]:
    """Rows `offset`…`offset + limit` of `people` (in its order) holding `id` and `fields` only,
    and whether more follow.

    Columns of hidden fields are never selected, so nothing the enterprise hides is read or
    decrypted. Plain values: rows are dicts (no model instances to build for a page of 20). A shown
    mobile number comes with the page still sealed and is opened by the account field itself once
    the page's person keys are unwrapped, by one query for the page (not one per person).
    """
    columns = ["pk"] + [column for field in fields for column in _DIRECTORY_COLUMNS[field]]
    shows_mobile = "mobile" in fields
    # The page's ids first, then their columns: the joins then run for this page's rows only,
    # not for every row a deep page skips.
    page_ids = people.values("pk")[offset:offset + limit + 1]
    page = people.model.objects.filter(pk__in=page_ids).order_by(*(people.query.order_by or ("pk",)))
    if shows_mobile:
        page = page.annotate(sealed_mobile=Cast("account__mobile", TextField()))
        columns.append("sealed_mobile")
    rows = list(page.values(*columns))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if shows_mobile and rows:
        preload_person_keys(row["account__person_key_id"] for row in rows)
        mobile_field = User._meta.get_field("mobile")
        for row in rows:
            row["mobile"] = mobile_field.from_db_value(row["sealed_mobile"], None, connection)
    entries = []
    for row in rows:
        entry = {"id": row["pk"]}
        for field in fields:
            if field in _NAMED_FIELDS:
                pk = row[f"{field}_id"]
                entry[field] = {"id": pk, "name": row[f"{field}__name"]} if pk is not None else None
            elif field == "mobile":
                entry[field] = row["mobile"]
            else:
                entry[field] = row[_DIRECTORY_COLUMNS[field][0]]
        entries.append(entry)
    return entries, has_more


def employees_in_order(queryset: QuerySet[Employee], keyed_ids: list[tuple[int, int | None]]) -> list[Employee]:
    """Load one page of employees (given as (id, person key id) pairs, in display order) with their
    data keys unwrapped by one query, instead of one per row as encrypted values decrypt."""
    preload_person_keys(key_id for _pk, key_id in keyed_ids)
    wanted = [pk for pk, _key in keyed_ids]
    rows = queryset.filter(pk__in=wanted).select_related("account", "department", "position", "job_level")
    loaded = {employee.pk: employee for employee in rows}
    return [loaded[pk] for pk in wanted if pk in loaded]


def own_employee_record(account: User) -> Employee:
    """R1: the caller's own address-book record, or NotInYourScope when they have none."""
    try:
        return Employee.objects.select_related("account", "department", "position", "job_level").get(account=account)
    except Employee.DoesNotExist:
        raise NotInYourScope(_("You have no record in this enterprise's address book."))


def departments_for_directory() -> QuerySet[Department]:
    """Every department: the tree itself is visible to every member (people are what is scoped)."""
    return Department.objects.all()
