"""Reads of the address book for administrators: search, lookups by ID number, the department
tree and its labels, the position and job-level lists, pages of employees with their keys."""
from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from access.capabilities import Scope, scope_of
from access.roles import ADMINISTRATOR_ROLES
from accounts.models import User
from core.bulk_rows import text_array
from orgdata.models import Department, Employee, JobLevel, Position
from orgdata.selectors.scope import departments_visible_to, employees_visible_to
from privacy.crypto import blind_index, blind_indexer
from privacy.keys import reading_person_keys


def organisation_summary(actor) -> dict:
    """Counts for the console dashboard of the current enterprise, as far as `actor` administers
    it (E5): the manager counts everyone, a sub-administrator their department subtrees only."""
    employees = employees_visible_to(actor)
    if scope_of(actor) is Scope.EVERYTHING:
        accounts = User.objects.all()
    else:
        accounts = User.objects.filter(pk__in=employees.values("account_id"))
    return {
        "departments": departments_visible_to(actor).count(),
        "employees": employees.count(),
        "active_accounts": accounts.filter(is_active=True).count(),
        "administrators": accounts.filter(role__in=ADMINISTRATOR_ROLES).count(),
    }


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


PICKER_RESULTS = 10


def people_matching(people: QuerySet[Employee], text: str, *, limit: int = PICKER_RESULTS) -> list[dict]:
    """The person picker's results (issue 14): at most `limit` of `people` (already scoped to the
    reader) matching `text` as the search box matches it (a name or employee-number prefix, a
    complete mobile number by its blind index), as {"employee_number", "name", "account_id"} in
    employee-number order. No text, no results: the picker never lists everyone."""
    text = (text or "").strip()
    if not text:
        return []
    rows = (search_employees(people, text=text).order_by("employee_number")
            .values_list("employee_number", "account__display_name", "account_id")[:limit])
    return [{"employee_number": number, "name": name, "account_id": account_id} for number, name, account_id in rows]


def searched_field(text: str) -> str:
    """Which field a search text is compared with: "mobile", "employee_number" or "display_name"."""
    compact = text.replace(" ", "").replace("-", "")
    if compact.lstrip("+").isdigit() and len(compact.lstrip("+")) >= 11:
        return "mobile"
    if text.isascii() and any(character.isdigit() for character in text):
        return "employee_number"
    return "display_name"


def _search_condition(text: str) -> Q:
    field = searched_field(text)
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


def employees_with_id_numbers(id_numbers: list[str]) -> QuerySet[Employee]:
    """Employees whose resident ID number is one of `id_numbers` (normalised), by blind index."""
    index_of = blind_indexer("id_number")
    indexes = [index for index in map(index_of, id_numbers) if index]
    if not indexes:
        return Employee.objects.none()
    # One array parameter (= ANY), not thousands of IN placeholders (an import brings many).
    return Employee.objects.extra(where=["id_number_index = ANY(%s::text[])"], params=[text_array(indexes)])


def leavers_who_left_before(day) -> QuerySet[Employee]:
    """Employment records of people who left the company before `day` (issue 12 §3: their
    retention runs from `left_at`). A rehired person's new record is not among them: it is another
    account, still working."""
    return Employee.objects.filter(work_status=Employee.WorkStatus.LEFT, left_at__lt=day)


def headcounts_by_subtree(people: QuerySet[Employee], *, within: Department | None = None) -> dict[int, int]:
    """A department's headcount, the one definition every page and the API use (issue 14): how many
    of `people` (a queryset already scoped to the reader) belong to the department or to any
    department below it. {department id: count}; a department nobody belongs to is absent.
    `within` limits the count to one department's subtree (its page needs no other).

    One grouped query; each department's direct count is added to every department on its path.
    """
    if within is not None:
        people = people.filter(department__path__startswith=within.path)
    direct = (people.exclude(department=None).order_by().values("department__path")
              .annotate(count=Count("pk")).values_list("department__path", "count"))
    counts: dict[int, int] = defaultdict(int)
    for path, count in direct:
        for part in path.strip("/").split("/"):
            if part:
                counts[int(part)] += count
    return dict(counts)


def department_tree(queryset: QuerySet[Department], *, people: QuerySet[Employee]) -> list[dict]:
    """Departments as a depth-first list of {"department", "depth", "employee_count"} rows; the
    count is the subtree's headcount among `people` (`headcounts_by_subtree`)."""
    departments = list(queryset.order_by("path"))
    headcounts = headcounts_by_subtree(people)
    by_parent: dict[int | None, list[Department]] = {}
    ids = {department.pk for department in departments}
    for department in departments:
        parent = department.parent_id if department.parent_id in ids else None
        by_parent.setdefault(parent, []).append(department)
    rows: list[dict] = []

    def walk(parent_id, depth):
        for department in sorted(by_parent.get(parent_id, []), key=lambda d: (d.sort_order, d.name)):
            rows.append({"department": department, "depth": depth,
                         "employee_count": headcounts.get(department.pk, 0)})
            walk(department.pk, depth + 1)

    walk(None, 0)
    return rows


def department_contents(department: Department) -> dict:
    """What a department holds directly, for the confirmation of its deletion or merge:
    {"people": employees in it, "children": its sub-departments}."""
    return {"people": Employee.objects.filter(department=department).count(),
            "children": Department.objects.filter(parent=department).count()}


def department_label(department: Department | None, *, names: dict[int, str] | None = None) -> str:
    """"Headquarters/R&D/Back end": the department's full path of names (import and export)."""
    if department is None:
        return ""
    ids = [int(part) for part in department.path.strip("/").split("/") if part]
    if names is None:
        names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    return department_label_of_path(department.path, names=names)


def department_label_of_path(path: str, *, names: dict[int, str]) -> str:
    """`department_label` from a department's stored path of ids (rows read as plain values)."""
    return "/".join(names.get(int(part), "?") for part in (path or "").strip("/").split("/") if part)


def department_names() -> dict[int, str]:
    return dict(Department.objects.values_list("pk", "name"))


def positions() -> QuerySet[Position]:
    return Position.objects.all()


def job_levels() -> QuerySet[JobLevel]:
    return JobLevel.objects.all()


def employees_in_order(queryset: QuerySet[Employee], keyed_ids: list[tuple[int, int | None]]) -> list[Employee]:
    """Load one page of employees (given as (id, person key id) pairs, in display order) with their
    data keys unwrapped by one query, instead of one per row as encrypted values decrypt."""
    wanted = [pk for pk, _key in keyed_ids]
    rows = queryset.filter(pk__in=wanted).select_related("account", "department", "position", "job_level")
    with reading_person_keys(key_id for _pk, key_id in keyed_ids):
        loaded = {employee.pk: employee for employee in rows}
    return [loaded[pk] for pk in wanted if pk in loaded]
