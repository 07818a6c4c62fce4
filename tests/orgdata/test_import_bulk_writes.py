"""The bulk import's fast write path (COPY) keeps every guarantee of the per-row path: each person
their own data key shared by account and record, values encrypted with blind indexes, one audit
entry per created row on an intact chain, the consent gate, and all-or-nothing."""
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from accounts.validators import normalize_mainland_mobile
from audit import chain
from audit.models import AuditEntry
from orgdata.models import Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from orgdata.validators import canonical_mainland_mobile
from tests.orgdata.factories import make_employee, resident_id
from tests.orgdata.importing import processed

HEADER = "工号,姓名,手机号,部门,职位,职级,入职日期,身份证号,性别,邮箱\n"


def _import(manager, text: str) -> ImportJob:
    upload = SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")
    return processed(import_services.start_import(actor=manager, upload=upload, consent_confirmed=True))


def test_the_quick_mobile_check_gives_the_same_verdict_as_the_full_rule():
    randomiser = random.Random(11643)
    candidates = [f"1{a}{b}{randomiser.randrange(10 ** 8):08d}" for a in range(10) for b in range(10)
                  for _ in range(40)]
    candidates += [f"1{randomiser.randrange(10 ** 10):010d}" for _ in range(4000)]
    candidates += ["+8613912345678", "139 1234 5678", "013912345678", "1391234567", "139123456789", "１３９１２３４５６７８"]
    accepted_quickly = 0
    for candidate in candidates:
        try:
            full = normalize_mainland_mobile(candidate)
        except ValidationError:
            full = None
        quick = canonical_mainland_mobile(candidate)
        if quick is not None:
            accepted_quickly += 1
            assert quick == full, candidate
        elif full is not None:
            # Not canonical: the import falls back to the full rule for these.
            assert not (len(candidate) == 11 and candidate.isascii() and candidate[1] in "3456789"
                        and not candidate.startswith("179")), candidate
    assert accepted_quickly > 1000


@pytest.mark.promise("E7")
def test_imported_people_get_own_keys_encrypted_values_and_one_audit_entry_per_row(in_a, manager):
    entries_before = AuditEntry.objects.count()
    text = HEADER + "".join(
        f"C{n:03d},员工{n},1397777{n:04d},总部/部门{n % 3},工程师,P5,2020-01-0{n % 9 + 1},"
        f"{resident_id(sequence=n) if n % 2 else ''},男,c{n}@example.com\n" for n in range(1, 31))
    job = _import(manager, text)
    assert (job.status, job.created_count) == ("succeeded", 30), job.report

    employees = list(Employee.objects.filter(employee_number__startswith="C").select_related("account", "department"))
    assert len(employees) == 30
    assert len({employee.person_key_id for employee in employees}) == 30  # a key per person ...
    assert all(employee.person_key_id == employee.account.person_key_id for employee in employees)  # ... shared
    third = next(employee for employee in employees if employee.employee_number == "C003")
    assert third.account.mobile == "13977770003" and third.id_number == resident_id(sequence=3)
    assert third.department.name == "部门0" and third.email == "c3@example.com"
    assert third.account.role == User.Role.EMPLOYEE and not third.account.has_usable_password()
    assert User.objects.with_mobile("13977770003").get() == third.account  # blind index filled
    assert Employee.objects.get(id_number_index=third.id_number_index) == third
    assert next(e for e in employees if e.employee_number == "C004").id_number == ""
    # Stored encrypted, under the person's key and field.
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM orgdata_employee WHERE id = %s", [third.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith(f"v1.{third.person_key_id}.") and resident_id(sequence=3) not in stored

    created = AuditEntry.objects.filter(pk__gt=0, action="create").exclude(object_type="orgdata.department")
    by_type = {}
    for entry in created.filter(id__gt=entries_before):
        by_type.setdefault(entry.object_type, set()).add(entry.object_id)
    assert by_type["accounts.user"] >= {str(employee.account_id) for employee in employees}
    assert by_type["orgdata.employee"] >= {str(employee.pk) for employee in employees}
    entry = AuditEntry.objects.get(object_type="orgdata.employee", object_id=str(third.pk))
    assert {"id_number", "department", "email", "employee_number"} <= set(entry.changed_fields)
    assert entry.actor == f"user:{manager.pk}"
    assert chain.verify().is_intact


def test_an_id_number_already_on_file_rejects_the_whole_file(in_a, manager):
    make_employee(employee_number="OLD-9", id_number=resident_id(sequence=77))
    job = _import(manager, HEADER + "D001,好人,13977779001,总部,,,,,,\n"
                                    f"D002,重复,13977779002,总部,,,,{resident_id(sequence=77)},,\n")
    assert job.status == ImportJob.Status.REJECTED
    assert [(error["row"], error["column"]) for error in job.report] == [(3, "Resident ID number")]
    assert not Employee.objects.filter(employee_number__startswith="D").exists()
    assert not User.objects.with_mobile("13977779001").exists()


def test_the_bulk_path_refuses_to_bypass_a_consent_gate_on_the_fields_it_writes(in_a, manager, monkeypatch):
    from consent import gate

    # As if a purpose of the catalogue covered a field the import writes with COPY.
    monkeypatch.setattr(gate, "gated_fields", lambda: {"accounts.User": ["display_name"]})
    job = _import(manager, HEADER + "G001,好人,13977778001,总部,,,,,,\n")
    assert job.status == ImportJob.Status.FAILED
    assert not Employee.objects.filter(employee_number="G001").exists()
    assert not User.objects.with_mobile("13977778001").exists()
