"""Bulk actions on the rows an administrator selected in the console's employee list (issue 14):
move to a department, set the work status, export the selection.

Each person goes through the same service a single edit or an export uses, so the same rules hold
(scope, offboarding, masking). Selected people outside the actor's scope are refused and counted,
never silently skipped: the outcome says how many.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from access.capabilities import Capability, require
from audit.context import Actor
from audit.recording import record_bulk
from core.errors import DomainError
from orgdata.models import Employee
from orgdata.selectors import scope as scope_selectors
from orgdata.services import employees as employee_services
from orgdata.services import exports as export_services

# One page of the list at most is selected; a bound keeps a hostile POST from naming millions.
MOST_SELECTED = 500


@dataclass
class BulkOutcome:
    done: int = 0
    refused: int = 0
    # Why each refused person was refused, as {employee number or id: message}.
    reasons: dict[str, str] = field(default_factory=dict)


def selected_in_scope(*, actor, employee_ids) -> tuple[list[int], int]:
    """(the selected ids `actor` administers, in order; how many selected ids are refused: outside
    the actor's scope or absent). Refuses a selection larger than MOST_SELECTED."""
    wanted = list(dict.fromkeys(int(pk) for pk in employee_ids))
    if len(wanted) > MOST_SELECTED:
        raise DomainError(_("Select at most %(count)d people at once.") % {"count": MOST_SELECTED})
    visible = set(scope_selectors.employees_visible_to(actor).filter(pk__in=wanted).values_list("pk", flat=True))
    return [pk for pk in wanted if pk in visible], len(wanted) - len(visible)


def change_employees(*, actor, employee_ids, changes: dict) -> BulkOutcome:
    """Apply `changes` ({"department": Department} or {"work_status": value}) to each selected
    person, one `employees.update_employee` call (its own transaction) each: setting "left" is the
    offboarding path (every way in closed). Refuses non-administrators of employees, other fields;
    counts as refused each person outside the actor's scope and each the single edit refuses
    (e.g. a department outside a sub-administrator's, the manager leaving, a leaver set back)."""
    require(actor, Capability.ADMINISTER_EMPLOYEES)
    if set(changes) - {"department", "work_status"} or len(changes) != 1:
        raise DomainError(_("Choose a department or a work status."))
    ids, refused = selected_in_scope(actor=actor, employee_ids=employee_ids)
    outcome = BulkOutcome(refused=refused)
    for employee in Employee.objects.filter(pk__in=ids).select_related("account"):
        try:
            employee_services.update_employee(actor=actor, employee=employee, changes=dict(changes))
        except (ValidationError, DomainError) as refusal:
            outcome.refused += 1
            outcome.reasons[employee.employee_number] = _message(refusal)
        else:
            outcome.done += 1
    return outcome


def _message(refusal) -> str:
    if isinstance(refusal, ValidationError):
        return " ".join(str(message) for message in refusal.messages)
    return str(getattr(refusal, "detail", refusal))


def export_selection(*, actor, employee_ids, file_format: str) -> tuple[export_services.ExportFile, int]:
    """The selected people as an address-book file, masked as every export is (X2); (the file, how
    many selected people were refused for being outside the actor's scope). Refuses what
    `exports.export_address_book` refuses, and a selection with nobody in scope. Audited: one
    "export_selected" entry per exported person (as the background export records its request)."""
    ids, refused = selected_in_scope(actor=actor, employee_ids=employee_ids)
    if not ids:
        raise DomainError(_("None of the selected people is someone you administer."))
    with transaction.atomic():
        exported = export_services.export_address_book(actor=actor, file_format=file_format, employee_ids=ids)
        record_bulk(model=Employee, action="export_selected", object_ids=ids, actor=Actor.for_user(actor))
    return exported, refused
