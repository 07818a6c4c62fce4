"""core.bulk_rows writes COPY in PostgreSQL's binary format with the columns' types set (issue 19).
A row written that way is stored exactly as COPY's text format stores it, for every kind of value
bulk writers send: text that needs escaping, NULL, numbers, booleans, dates, times, bytes, and
JSON as its model field prepares it."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.models.functions import Now

from accounts.models import User
from core.bulk_rows import RowTemplate, allocate_ids, qualified_table
from orgdata.models import ImportJob
from privacy.models import PersonKey

AWKWARD_TEXT = "tab\there, new\nline, return\rback\\slash \\N \\x41 中文 'quote\" {x}"


def _stored(model, pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_jsonb(t) - 'id' FROM {qualified_table(model)} t WHERE id = %s", [pk])
        stored = cursor.fetchone()[0]
    return json.loads(stored) if isinstance(stored, str) else stored  # Django reads jsonb as its text


def _written_both_ways(model, values: dict) -> tuple[dict, dict]:
    """The same row written by COPY's text format and by RowTemplate.copy, as stored."""
    template = RowTemplate(model)
    reference_id, ours_id = allocate_ids(model, 2)
    row = template.row()
    for name, value in values.items():
        field = next(field for field in template.fields if name in (field.name, field.attname))
        # As a bulk writer sends them: JSON prepared by its field, everything else as it is.
        row[template.position(name)] = field.get_db_prep_save(value, connection) if field.get_internal_type() == "JSONField" else value
    columns = ", ".join(connection.ops.quote_name(field.column) for field in template.fields)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {qualified_table(model)} ({columns}) FROM STDIN") as copy:
        copy.write_row([reference_id if index == template.position("id") else value
                        for index, value in enumerate(row)])
    with template.copy() as copy:
        copy.write_row([ours_id if index == template.position("id") else value for index, value in enumerate(row)])
    return _stored(model, reference_id), _stored(model, ours_id)


@pytest.mark.django_db
def test_a_row_written_in_binary_is_stored_as_the_text_format_stores_it(enterprises):
    connection.set_tenant(enterprises.a.enterprise)
    manager = User.objects.get(role=User.Role.MANAGER)
    shanghai = timezone(timedelta(hours=8))
    reference, ours = _written_both_ways(ImportJob, {
        "created_by_id": manager.pk, "file": "imports/x.csv", "file_format": "csv",
        "original_name": AWKWARD_TEXT, "consent_statement": AWKWARD_TEXT + "\x7f",
        "consent_confirmed_at": datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=shanghai),
        "confirmed_at": None, "total_rows": 100_000, "create_new_values": True,
        "report": [{"row": 2, "column": "姓名", "reason": AWKWARD_TEXT}], "preview": {"new_positions": ["a\\b"]},
        "started_at": datetime(1901, 1, 1, tzinfo=timezone.utc)})
    assert ours == reference
    assert ours["original_name"] == AWKWARD_TEXT and ours["report"][0]["reason"] == AWKWARD_TEXT
    assert ours["confirmed_at"] is None and ours["create_new_values"] is True

    every_byte = bytes(range(256))
    reference, ours = _written_both_ways(PersonKey, {"master_key_id": "k\t1", "wrapped_key": every_byte,
                                                     "destroyed_at": None})
    assert ours == reference
    stored_keys = PersonKey.objects.filter(master_key_id="k\t1").values_list("wrapped_key", flat=True)
    assert [bytes(value) for value in stored_keys] == [every_byte, every_byte]


@pytest.mark.django_db
def test_defaults_are_written_once_formatted_and_a_date_set_per_row_is_its_own(enterprises):
    from orgdata.models import Employee

    connection.set_tenant(enterprises.a.enterprise)
    manager = User.objects.get(role=User.Role.MANAGER)
    template = RowTemplate(Employee)
    ids = allocate_ids(Employee, 3)
    other_people = [User.objects.create(mobile=f"1390000{n:04d}", display_name=f"批量{n}") for n in range(2)]
    with template.copy() as copy:
        for employee_id, person, entry in zip(ids, [manager, *other_people], (date(2024, 2, 29), None, date(1900, 1, 1))):
            row = template.row()
            row[template.position("id")], row[template.position("account_id")] = employee_id, person.pk
            row[template.position("person_key_id")] = person.person_key_id
            row[template.position("employee_number")] = f"B{employee_id}"
            row[template.position("entry_date")] = entry
            copy.write_row(row)
    written = Employee.objects.filter(pk__in=ids).order_by("pk")
    assert [employee.entry_date for employee in written] == [date(2024, 2, 29), None, date(1900, 1, 1)]
    assert all(employee.work_status == Employee.WorkStatus.WORKING for employee in written)
    assert Employee.objects.filter(pk__in=ids, created_at__lte=Now()).count() == 3
