"""Writing a checked import in one transaction: new people with PostgreSQL COPY (core.bulk_rows),
corrections of existing records with bulk_update, each batch recorded in the audit log.
"""
from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from access.actors import SystemActor
from accounts import services as account_services
from accounts.models import User
from audit.recording import record_bulk
from consent.gate import fields_needing_consent
from consent.services import legal_bases as legal_basis_services
from core.bulk_rows import RowTemplate, allocate_ids
from orgdata import validators
from orgdata.models import Department, Employee, ImportJob, JobLevel, Position
from orgdata.services import departments as department_services
from orgdata.services import employees as employee_services
from orgdata.services import minors as minor_services
from orgdata.services.employees import ID_NUMBER_LEGAL_BASIS, ID_NUMBER_PURPOSE, ID_NUMBER_REFERENCE
from orgdata.services.imports import progress
from orgdata.services.imports.checks import Plan
from orgdata.services.imports.rows import Row
from privacy.crypto import blind_index, blind_indexer, encrypt_with
from privacy.fields import sealed_value

WRITE_BATCH = 5000  # new people per round of COPY statements
# The worker creates the departments an accepted import names; the plan already checked them
# against the importing administrator's scope.
IMPORT_WORKER = SystemActor("address-book import")


def write(job: ImportJob, rows: list[Row], plan: Plan) -> tuple[int, int, int]:
    """Write the checked rows in the caller's transaction: new departments, positions and job
    levels first, then new people (accounts, then their records) with COPY, then corrections of
    existing records. Returns (created, updated, departments created)."""
    total = len(rows)
    progress.report_progress(job, "writing", 0, total)
    created_departments = {}
    by_depth: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for path in plan.new_department_paths:
        by_depth[len(path)].append(path)
    for depth in sorted(by_depth):  # a level at a time: each level's parents exist
        paths = sorted(by_depth[depth])
        parents = [None if depth == 1 else created_departments.get(path[:-1]) or _existing_department(plan, path[:-1])
                   for path in paths]
        created = department_services.create_departments(
            wanted=[(parent, path[-1]) for parent, path in zip(parents, paths)], actor=IMPORT_WORKER)
        created_departments.update(zip(paths, created))
    next_rank = (JobLevel.objects.order_by("-rank").values_list("rank", flat=True).first() or 0) + 1
    for name in sorted(plan.new_positions):
        plan.positions[name] = Position.objects.create(name=name)
    for offset, name in enumerate(sorted(plan.new_job_levels)):
        plan.job_levels[name] = JobLevel.objects.create(name=name, rank=next_rank + offset)

    def department_of(row: Row):
        resolved = row.values.pop("_department", None)
        if isinstance(resolved, tuple):
            return created_departments[resolved]
        return resolved

    new_rows = [row for row in rows if row.values.get("_existing") is None]
    updates = [row for row in rows if row.values.get("_existing") is not None]

    # New people: accounts first (E2), then their records, in batches, with PostgreSQL COPY.
    # Neither sends model signals, so the consent gate's save-time guard would not see them:
    # refuse outright if any field written here is gated (none is: name and mobile number serve
    # the basic functions, C1, and the employee record is the enterprise's).
    _require_ungated_bulk_models()
    done = 0
    writer = _EmployeeRows()
    # C12: the people whose resident ID number this import writes (see employees.ID_NUMBER_PURPOSE).
    id_number_holders: list[int] = []
    # M2: people aged 16 or 17 by the birth date this import writes (under 16 never gets here).
    minors: list[int] = []
    # M1: accounts.User.minor_until of everyone whose birth date this import writes
    # (employee_services.record_minority, in bulk).
    minor_until_by_person: dict[int, object] = {}
    today = timezone.localdate()  # ages are counted on one day for the whole file
    for start in range(0, len(new_rows), WRITE_BATCH):
        batch = new_rows[start:start + WRITE_BATCH]
        accounts = account_services.create_accounts_in_bulk(
            actor=plan.actor, people=[(row.values["mobile"], row.values["display_name"]) for row in batch])
        id_number_holders.extend(account.pk for row, account in zip(batch, accounts) if row.values.get("id_number"))
        minors.extend(account.pk for row, account in zip(batch, accounts)
                      if validators.is_minor(row.values.get("date_of_birth"), today=today))
        minor_until_by_person.update(
            (account.pk, employee_services.minor_until_of(row.values["date_of_birth"]))
            for row, account in zip(batch, accounts) if validators.is_minor(row.values.get("date_of_birth"), today=today))
        employee_ids_by_fields = writer.copy(batch, accounts, department_of, plan)
        record_bulk(model=User, action="create", object_ids=[account.pk for account in accounts],
                    changed_fields=["mobile", "display_name", "role"])
        for fields, employee_ids in employee_ids_by_fields.items():
            record_bulk(model=Employee, action="create", object_ids=employee_ids, changed_fields=fields)
        done += len(batch)
        progress.report_progress(job, "writing", done, total)

    # Existing people: correct what differs; empty cells leave a value as it was.
    by_fields: dict[tuple[str, ...], list[Employee]] = defaultdict(list)
    leavers: list[Employee] = []  # issue 12: checks.py refused what offboarding forbids
    for row in updates:
        employee = row.values.pop("_existing")
        identity = {key: row.values[key] for key in ("mobile", "display_name")
                    if row.values.get(key) and row.values[key] != getattr(employee.account, key)}
        if identity:
            account_services.correct_account_identity(actor=plan.actor, person=employee.account, **identity)
        values = {key: value for key, value in row.values.items()
                  if not key.startswith("_") and key not in ("mobile", "display_name", "employee_number")}
        if row.department:
            values["department"] = department_of(row)
        if row.position:
            values["position"] = plan.positions[row.position]
        if row.job_level:
            values["job_level"] = plan.job_levels[row.job_level]
        changed = tuple(sorted(key for key, value in values.items() if getattr(employee, key) != value))
        if "date_of_birth" in changed and validators.is_minor(values["date_of_birth"], today=today):
            minors.append(employee.account_id)
        if "date_of_birth" in changed:
            minor_until_by_person[employee.account_id] = employee_services.minor_until_of(values["date_of_birth"])
        for key in changed:
            setattr(employee, key, values[key])
        if "id_number" in changed:
            if employee.id_number:
                id_number_holders.append(employee.account_id)
            # bulk_update writes encrypted values only as sealed tokens, and fills no blind index.
            employee.id_number_index = blind_index("id_number", employee.id_number)
            employee.id_number = sealed_value(employee, "id_number")
            changed = tuple(sorted({*changed, "id_number_index"}))
        if changed:
            by_fields[changed].append(employee)
        if "work_status" in changed and employee.work_status == Employee.WorkStatus.LEFT:
            leavers.append(employee)
        done += 1
        if done % progress.BATCH == 0:
            progress.report_progress(job, "writing", done, total)
    updated = 0
    for fields, employees in by_fields.items():
        now = timezone.now()
        for employee in employees:
            employee.updated_at = now
        Employee.objects.bulk_update(employees, [*fields, "updated_at"], batch_size=progress.BATCH)
        record_bulk(model=Employee, action="update", object_ids=[employee.pk for employee in employees],
                    changed_fields=list(fields))
        updated += len(employees)
    for employee in leavers:
        # The one way every way in is closed, as when an administrator sets "left" (issue 12).
        employee_services.close_every_way_in(actor=plan.actor, employee=employee)
    legal_basis_services.record_legal_basis_in_bulk(
        actor=plan.actor, person_ids=id_number_holders, purpose_code=ID_NUMBER_PURPOSE, basis=ID_NUMBER_LEGAL_BASIS,
        reference=ID_NUMBER_REFERENCE)
    changed_accounts = account_services.record_minors_until_in_bulk(
        actor=plan.actor, minor_until_by_person=minor_until_by_person)  # M1: inactive until a guardian consents
    if changed_accounts:
        record_bulk(model=User, action="update", object_ids=changed_accounts, changed_fields=["minor_until"])
    minor_services.announce_minors(person_ids=minors)  # a case to verify each, in this transaction
    progress.report_progress(job, "writing", total, total)
    return len(new_rows), len(updates), len(created_departments)


def _require_ungated_bulk_models() -> None:
    """COPY sends no pre_save, so the consent gate's model guard never sees these rows: refuse
    outright if any purpose (of the code catalogue or added here at runtime) covers a column written."""
    for model in (User, Employee):
        gated = fields_needing_consent(model, [field.name for field in model._meta.concrete_fields])
        if gated:
            raise RuntimeError(f"{model._meta.label} fields {gated} are consent-gated: "
                               "the bulk import would bypass the gate")


class _EmployeeRows:
    """Writes new employee records with COPY (core.bulk_rows): the ID number encrypted under the
    person's key (the account's) with its blind index; every other column as the row sets it or at
    its model default."""

    def __init__(self):
        self.template = RowTemplate(Employee)
        self.context = f"{Employee._meta.label}.id_number"
        self.index_of = blind_indexer("id_number")

    def copy(self, batch: list[Row], accounts, department_of, plan: Plan) -> dict[tuple[str, ...], list[int]]:
        """Write one batch; returns {changed field names: [employee id, ...]} for the audit log."""
        template, context, index_of = self.template, self.context, self.index_of
        position = template.position
        at_id, at_account, at_key = position("id"), position("account_id"), position("person_key_id")
        at_id_number, at_id_index = position("id_number"), position("id_number_index")
        related_columns = [(position("department_id"), "department"), (position("position_id"), "position"),
                           (position("job_level_id"), "job_level")]
        ids = allocate_ids(Employee, len(batch))
        by_written: dict[tuple[str, ...], list[int]] = defaultdict(list)
        with template.copy() as copy:
            for row, account, employee_id in zip(batch, accounts, ids):
                values = template.row()
                written = ["account", "employee_number"]
                for key, value in row.values.items():
                    if key[0] == "_" or key == "mobile" or key == "display_name":
                        continue
                    values[position(key)] = value
                    if value is not None and value != "":
                        written.append(key)
                id_number = row.values.get("id_number")
                if id_number:
                    # Each record shares its account's data key (see Employee.person_key).
                    values[at_id_number] = encrypt_with(account.cipher, id_number, key_id=account.person_key_id,
                                                        context=context)
                    values[at_id_index] = index_of(id_number)
                else:
                    values[at_id_number] = values[at_id_index] = None
                values[at_id], values[at_account], values[at_key] = employee_id, account.pk, account.person_key_id
                related = (department_of(row), plan.positions.get(row.position), plan.job_levels.get(row.job_level))
                for (at, name), target in zip(related_columns, related):
                    if target is not None:
                        values[at] = target.pk
                        written.append(name)
                copy.write_row(values)
                by_written[tuple(written)].append(employee_id)
        by_fields: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for written, employee_ids in by_written.items():
            by_fields[tuple(sorted(set(written)))].extend(employee_ids)
        return by_fields


def _existing_department(plan: Plan, path: tuple[str, ...]) -> Department:
    parent = None
    for name in path:
        parent = plan.departments[(parent.pk if parent else None, name)]
    return parent
