"""The mobile directory (E7) and a person's own record (R1): what colleagues see of each other."""
from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from access.errors import NotInYourScope
from accounts.models import User
from orgdata.models import Department, Employee
from orgdata.selectors.address_book import search_employees, searched_field
from privacy.keys import reading_person_keys
from tenants.models import Enterprise


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
    if text and searched_field(text) not in fields:
        return Employee.objects.none()
    people = search_employees(directory_people(), text=text)
    if department_ids is not None:
        people = people.filter(department_id__in=department_ids)
    return people.order_by("employee_number")


def directory_people() -> QuerySet[Employee]:
    """Everyone the address book lists: everyone still employed."""
    return Employee.objects.exclude(work_status=Employee.WorkStatus.LEFT)


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
        mobile_field = User._meta.get_field("mobile")
        with reading_person_keys(row["account__person_key_id"] for row in rows):
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


def own_employee_record(person: User) -> Employee:
    """R1: `person`'s own address-book record, or NotInYourScope when they have none."""
    try:
        return Employee.objects.select_related("account", "department", "position", "job_level").get(account=person)
    except Employee.DoesNotExist:
        raise NotInYourScope(_("You have no record in this enterprise's address book."))


def departments_for_directory() -> QuerySet[Department]:
    """Every department: the tree itself is visible to every member (people are what is scoped)."""
    return Department.objects.all()
