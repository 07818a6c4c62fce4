"""Export of the address book (E7), scoped to the exporter (E5) and masked by default (X2).

An export is a read, but revealing unmasked values is an act the audit log records, so it lives
with the services.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from access.capabilities import Capability, may, require
from accounts.models import User
from audit.context import Actor
from audit.recording import record_bulk
from core import tabular
from core.errors import DomainError, NotPermitted
from orgdata.columns import COLUMNS
from orgdata.models import Employee
from orgdata.selectors import address_book as address_book_selectors
from orgdata.selectors import scope as scope_selectors
from privacy.disclosure import masked_fields, shown_value
from privacy.keys import preload_person_keys

# Where each exported personal value is stored; its declaration says how it is masked.
_ACCOUNT_FIELDS = ("display_name", "mobile")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    row_count: int
    is_unmasked: bool


def export_address_book(*, actor: User, file_format: str, unmasked: bool = False, search: str = "",
                        department=None) -> ExportFile:
    """The people `actor` administers (optionally narrowed like the employee list), as CSV or XLSX.

    Every value is shown as the disclosure policy shows it to the actor on any surface (mobile,
    resident ID number, landline and email masked), unless `unmasked` is asked for AND the actor
    holds the unmask permission: the bulk reveal path, recorded in the audit log as one
    "view_unmasked" entry per exported person (object id = the employee), naming the revealed
    fields. Refuses non-administrators and an unmask request without the permission.
    """
    require(actor, Capability.EXPORT_ADDRESS_BOOK)
    if unmasked and not may(actor, Capability.UNMASK_SENSITIVE_VALUES):
        raise NotPermitted(_("You may not export unmasked contact details or ID numbers."))
    if file_format not in ("csv", "xlsx"):
        raise DomainError(_("Choose CSV or XLSX."))
    people = address_book_selectors.search_employees(scope_selectors.employees_visible_to(actor), text=search, department=department)
    people = people.select_related("account", "department", "position", "job_level").order_by("employee_number")
    names = address_book_selectors.department_names()
    header = [str(column.label) for column in COLUMNS]
    rows, revealed_ids = [], []
    for chunk in _chunks(people, 2000):
        for employee in chunk:
            rows.append([_cell(employee, column.key, names, actor=actor, unmasked=unmasked) for column in COLUMNS])
            revealed_ids.append(employee.pk)
    if unmasked and revealed_ids:
        # X2/X4: whose values left unmasked, person by person (as a single reveal in the console
        # is recorded), so "who saw my ID number?" has an answer; written in one statement.
        record_bulk(model=Employee, action="view_unmasked", object_ids=revealed_ids,
                    changed_fields=_revealed_columns(),
                    actor=Actor.for_user(actor))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "xlsx":
        content = tabular.write_xlsx(header, rows, sheet_title=str(_("Address book")))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = tabular.write_csv(header, rows)
        content_type = "text/csv; charset=utf-8"
    return ExportFile(f"address-book-{stamp}.{file_format}", content_type, content, len(rows), unmasked)


def _chunks(queryset, size: int):
    """The queryset's rows in chunks, each chunk's data keys unwrapped with one query first
    (encrypted values are decrypted as rows load)."""
    keys = list(queryset.values_list("pk", "person_key_id"))
    for start in range(0, len(keys), size):
        part = keys[start:start + size]
        preload_person_keys(key_id for _pk, key_id in part)
        by_pk = {employee.pk: employee for employee in queryset.filter(pk__in=[pk for pk, _key in part])}
        yield [by_pk[pk] for pk, _key in part if pk in by_pk]


def _revealed_columns() -> list[str]:
    """The exported columns an unmasked export shows clear that a masked one masks."""
    hidden = set(masked_fields(Employee)) | set(masked_fields(User))
    return [column.key for column in COLUMNS if column.key in hidden]


def _cell(employee: Employee, key: str, names: dict[int, str], *, actor: User, unmasked: bool) -> str:
    if key in _ACCOUNT_FIELDS:
        instance = employee.account
    elif key == "department":
        return address_book_selectors.department_label(employee.department, names=names)
    elif key in ("position", "job_level"):
        related = getattr(employee, key)
        return related.name if related else ""
    elif key in ("work_status", "gender", "education"):
        return str(getattr(employee, f"get_{key}_display")()) if getattr(employee, key) else ""
    else:
        instance = employee
    # X2: the permission was checked and the reveal is recorded by the caller (one entry per person).
    value = getattr(instance, key) if unmasked else shown_value(viewer=actor, instance=instance, field=key)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
