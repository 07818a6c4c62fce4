"""The rows of an import checked against the database, under the import lock and before anything
is written: employee numbers, mobile and ID numbers in use, the administrator's departments and
whose records they may change (E5), positions and job levels the manager may add.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from access.capabilities import Capability, Scope, may, scope_of
from accounts import services as account_services
from accounts.models import User
from core.bulk_rows import qualified_table, text_array
from orgdata.columns import COLUMNS_BY_KEY, DEPARTMENT_SEPARATOR
from orgdata.models import Department, Employee, JobLevel, Position
from orgdata.selectors import scope as scope_selectors
from orgdata.services import employees as employee_services
from orgdata.services import minors as minor_services
from orgdata.services.imports.rows import Row, RowError
from privacy.crypto import blind_indexer


class Plan:
    """What the import will do, worked out under the import lock before anything is written."""

    def __init__(self, actor: User, *, approved_new_values: dict[str, set[str]] | None = None):
        """`approved_new_values`: the positions and job levels ({"position": names, "job_level":
        names}) the administrator chose, on confirming, to create; None while previewing, when every
        unknown name is collected for the preview instead (issue 14: never created silently)."""
        self.actor = actor
        self.approved_new_values = approved_new_values
        self.may_import_anywhere = scope_of(actor, Capability.IMPORT_ADDRESS_BOOK) is Scope.EVERYTHING
        visible = scope_selectors.departments_visible_to(actor)
        self.visible_department_ids = set(visible.values_list("pk", flat=True))
        self.departments = {(d.parent_id, d.name): d for d in Department.objects.all()}
        self.new_department_paths: set[tuple[str, ...]] = set()
        self.positions = {p.name: p for p in Position.objects.all()}
        self.job_levels = {level.name: level for level in JobLevel.objects.all()}
        self.new_positions: set[str] = set()
        self.new_job_levels: set[str] = set()
        # M2: records this import's rows found to be of children under 14 (erased after the
        # rejected import rolls back: jobs._import).
        self.children_found: list[int] = []
        # M1: records this import's rows found to be of people aged 14 or 15 (disabled, with a case
        # for the manager, after the rejected import rolls back: jobs._import).
        self.under_working_age_found: list[int] = []

    def resolve_department(self, label: str) -> tuple[Department | tuple | None, str]:
        """An existing department, or the path of names to create; or an error message."""
        parts = tuple(part.strip() for part in label.split(DEPARTMENT_SEPARATOR))
        parent, deepest_existing = None, None
        for depth, name in enumerate(parts):
            found = self.departments.get((parent.pk if parent else None, name))
            if found is None:
                if not self.may_import_anywhere and (deepest_existing is None
                                            or deepest_existing.pk not in self.visible_department_ids):
                    return None, _("This department is outside your departments.")
                for extra in range(depth + 1, len(parts) + 1):
                    self.new_department_paths.add(parts[:extra])
                return parts, ""
            parent = deepest_existing = found
        if not self.may_import_anywhere and parent.pk not in self.visible_department_ids:
            return None, _("This department is outside your departments.")
        return parent, ""


def check_against_database(rows: list[Row], plan: Plan) -> list[RowError]:
    """The problems of each row that only the database shows (marks each row with the existing
    record it corrects and the department it goes to, for the writer)."""
    label = {key: str(column.label) for key, column in COLUMNS_BY_KEY.items()}
    errors: list[RowError] = []
    numbers = [row.values.get("employee_number") for row in rows if row.values.get("employee_number")]
    # One query per column with an array parameter (= ANY), not thousands of IN placeholders.
    found = [pk for _number, pk in column_matches(Employee, "employee_number", numbers)]
    existing = {}
    for start in range(0, len(found), 5000):
        for employee in Employee.objects.filter(pk__in=found[start:start + 5000]).select_related("account"):
            existing[employee.employee_number] = employee
    visible_ids = set()
    if existing and not plan.may_import_anywhere:
        visible_ids = set(scope_selectors.employees_visible_to(plan.actor).filter(
            pk__in=[employee.pk for employee in existing.values()]).values_list("pk", flat=True))
    # Issue 12, rehiring: a row adding someone who left frees their old login and ID number, by the
    # same release as add_employee (undone with the import's transaction if it is rejected).
    added = [row.values for row in rows if not existing.get(row.values.get("employee_number"))]
    employee_services.release_identifiers_of_leavers(
        actor=plan.actor, mobiles=[values["mobile"] for values in added if values.get("mobile")],
        id_numbers=[values["id_number"] for values in added if values.get("id_number")])
    mobiles = [row.values["mobile"] for row in rows if row.values.get("mobile")]
    mobile_owners = account_services.existing_mobile_owners(mobiles)
    id_numbers = [row.values["id_number"] for row in rows if row.values.get("id_number")]
    index_of = blind_indexer("id_number")
    number_by_index = {index_of(id_number): id_number for id_number in id_numbers}
    id_owners = {number_by_index[index]: pk
                 for index, pk in column_matches(Employee, "id_number_index", list(number_by_index))}

    seen: dict[str, dict[str, int]] = defaultdict(dict)
    resolved_departments: dict[str, tuple] = {}
    for row in rows:
        number = row.values.get("employee_number")
        employee = existing.get(number) if number else None
        row.values["_existing"] = employee
        if employee is not None and not plan.may_import_anywhere and employee.pk not in visible_ids:
            errors.append(RowError(row.number, label["employee_number"],
                                   _("This employee number belongs to someone outside your departments.")))
        elif employee is not None and not may(plan.actor, Capability.EDIT_IDENTITY_RECORD, target=employee.account):
            # E5: as in update_employee, an administrator's record (their login) is the manager's to change.
            errors.append(RowError(row.number, label["employee_number"],
                                   _("Only the enterprise manager can change an administrator's record.")))
        elif employee is not None and row.reveals_a_child and minor_services.may_protect(employee):
            # M2: as in update_employee, the row is not stored and the person is erased at once.
            plan.children_found.append(employee.pk)
            errors.append(RowError(row.number, label["employee_number"], _(
                "This person is under 14: the row was not imported, their account was disabled and their "
                "information is being deleted.")))
        elif employee is not None and row.reveals_under_working_age and minor_services.may_protect(employee):
            # M1: as in update_employee, the row is not stored, the account disabled, a case opened.
            plan.under_working_age_found.append(employee.pk)
            errors.append(RowError(row.number, label["employee_number"], _(
                "This person is under 16, the legal working age: the row was not imported, their account was "
                "disabled and the enterprise manager verifies the case.")))
        if employee is None and row.values.get("work_status") == Employee.WorkStatus.LEFT:
            errors.append(RowError(row.number, label["work_status"],
                                   _("A new employee cannot be added as having left the company.")))
        if employee is not None:
            try:
                employee_services.check_birth_date_against_record(row.values, employee)
                # Issue 12: the same offboarding rules as update_employee (sets left_at for the writer).
                employee_services.check_work_status_change(employee, row.values)
            except ValidationError as error:
                errors.extend(RowError(row.number, label[key], message)
                              for key, messages in error.message_dict.items() for message in messages)
        for key in ("employee_number", "mobile", "id_number"):
            value = row.values.get(key)
            if not value:
                continue
            first = seen[key].setdefault(value, row.number)
            if first != row.number:
                errors.append(RowError(row.number, label[key],
                                       _("The same value is already in row %(row)d.") % {"row": first}))
        owner = mobile_owners.get(row.values.get("mobile"))
        if owner is not None and (employee is None or owner != employee.account_id):
            errors.append(RowError(row.number, label["mobile"], _("Another account already uses this mobile number.")))
        id_owner = id_owners.get(row.values.get("id_number"))
        if id_owner is not None and (employee is None or id_owner != employee.pk):
            errors.append(RowError(row.number, label["id_number"],
                                   _("Another employee already has this resident ID number.")))
        if row.department:
            # 300 departments for 100,000 people: each path is resolved once.
            outcome = resolved_departments.get(row.department)
            if outcome is None:
                outcome = resolved_departments[row.department] = plan.resolve_department(row.department)
            resolved, problem = outcome
            if problem:
                errors.append(RowError(row.number, label["department"], problem))
            row.values["_department"] = resolved
        elif employee is None and not plan.may_import_anywhere:
            errors.append(RowError(row.number, label["department"], _("Choose one of your departments.")))
        for key, known, new in (("position", plan.positions, plan.new_positions),
                                ("job_level", plan.job_levels, plan.new_job_levels)):
            name = getattr(row, key)
            if name and name not in known:
                if plan.may_import_anywhere and (plan.approved_new_values is None
                                                 or name in plan.approved_new_values.get(key, ())):
                    new.add(name)
                elif plan.may_import_anywhere:
                    # Issue 14: a name the confirmed preview did not list (or that the administrator
                    # did not choose to create) is never created on the way.
                    errors.append(RowError(row.number, label[key], _(
                        "This value does not exist; upload the file again and choose to create it when confirming.")))
                else:
                    errors.append(RowError(row.number, label[key],
                                           _("Unknown value; ask the enterprise manager to add it first.")))
    return errors


def column_matches(model, column: str, values: list[str]) -> list[tuple[Any, int]]:
    """(value, id) of the rows of `model` whose text `column` holds one of `values`."""
    if not values:
        return []
    name = connection.ops.quote_name(model._meta.get_field(column).column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name}, id FROM {qualified_table(model)} WHERE {name} = ANY(%s::text[])",
                       [text_array(values)])
        return cursor.fetchall()
