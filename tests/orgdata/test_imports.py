"""Bulk import (E7, E8): consent confirmation first, row-by-row validation, all-or-nothing."""
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from audit.models import AuditEntry
from orgdata.models import Department, Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from tests.orgdata.factories import TEST_SETUP, make_employee, resident_id
from tests.orgdata.importing import processed

HEADER = "工号,姓名,手机号,部门,职位,职级,入职日期,身份证号,性别,邮箱\n"


def _csv(text: str, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _xlsx(rows: list[list], name: str = "people.xlsx") -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.mark.promise("E8")
def test_an_upload_without_the_consent_confirmation_is_refused_and_a_confirmed_one_is_recorded(in_a, manager):
    good = HEADER + "A001,张伟,13966660001,总部/研发部,工程师,P5,2024-03-01,,男,\n"
    with pytest.raises(Exception) as refused:
        processed(import_services.start_import(actor=manager, upload=_csv(good), consent_confirmed=False))
    assert "consent_confirmed" in refused.value.message_dict
    assert not ImportJob.objects.exists() and not Employee.objects.exists()

    job = processed(import_services.start_import(actor=manager, upload=_csv(good), consent_confirmed=True))
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.consent_confirmed_at and "informed" in job.consent_statement and job.created_by == manager
    confirmation = AuditEntry.objects.get(action="import_consent_confirmed")
    assert confirmation.object_id == str(job.pk) and confirmation.actor == f"user:{manager.pk}"


@pytest.mark.promise("E7")
def test_a_valid_file_builds_the_organisation_structure_and_creates_accounts(in_a, manager):
    text = HEADER + (
        f"A001,张伟,13966660001,总部/研发部/后端组,工程师,P5,2024-03-01,{resident_id()},男,zw@example.com\n"
        "A002,王芳,+86 139 6666 0002,总部/研发部,工程师,P6,2023年7月15日,,女,\n"
        "A003,李娜,13966660003,总部/销售部,,,,,,\n"
    )
    job = processed(import_services.start_import(actor=manager, upload=_csv(text), consent_confirmed=True))
    assert (job.status, job.created_count, job.departments_created) == ("succeeded", 3, 4)
    zhang = Employee.objects.select_related("account", "department").get(employee_number="A001")
    assert zhang.account.display_name == "张伟" and zhang.department.name == "后端组"
    assert zhang.id_number == resident_id() and zhang.date_of_birth.isoformat() == "1990-03-07"
    assert zhang.gender == "male" and zhang.person_key_id == zhang.account.person_key_id
    assert User.objects.with_mobile("13966660002").get().employee.entry_date.isoformat() == "2023-07-15"
    # A second upload of corrections updates, keyed by employee number.
    again = processed(import_services.start_import(actor=manager, upload=_csv(HEADER + "A003,李娜,13966660003,总部/研发部,,,,,,\n"),
                                 consent_confirmed=True))
    assert (again.status, again.created_count, again.updated_count) == ("succeeded", 0, 1)
    assert Employee.objects.get(employee_number="A003").department.name == "研发部"


@pytest.mark.promise("E7")
def test_any_bad_row_means_nothing_is_written_and_the_report_lists_every_bad_row(in_a, manager):
    existing = make_employee(employee_number="OLD-1")
    text = HEADER + (
        "B001,好人,13966660011,总部/新部门,,,,,,\n"
        "B002,,13966660012,总部,,,,,,\n"
        "B003,坏号码,12345,总部,,,,,,\n"
        "B004,坏身份证,13966660014,总部,,,,110105199003071230,,\n"
        f"B005,重复手机,{existing.account.mobile},总部,,,,,,\n"
        "B001,重复工号,13966660016,总部,,,2099-01-01,,,\n"
    )
    job = processed(import_services.start_import(actor=manager, upload=_csv(text), consent_confirmed=True))
    assert job.status == ImportJob.Status.REJECTED
    report = {(error["row"], error["column"]) for error in job.report}
    assert {(3, "Name"), (4, "Mobile number"), (5, "Resident ID number"), (6, "Mobile number"),
            (7, "Employee number"), (7, "Date of employment")} <= report
    assert (2, "Name") not in report
    assert all("13966660011" not in error["reason"] for error in job.report)  # never a cell's value
    assert not Employee.objects.exclude(pk=existing.pk).exists()
    assert not Department.objects.exists() and not User.objects.with_mobile("13966660011").exists()
    assert not job.file  # the uploaded personal data is not kept


def test_xlsx_files_are_imported_too_and_unknown_columns_are_reported(in_a, manager):
    rows = [["Employee number", "Name", "Mobile number", "Department", "Date of birth"],
            ["X001", "刘洋", "13966660021", "Ops", "1988-02-03"]]
    job = processed(import_services.start_import(actor=manager, upload=_xlsx(rows), consent_confirmed=True))
    assert job.status == "succeeded" and Employee.objects.get(employee_number="X001").department.name == "Ops"

    bad = processed(import_services.start_import(actor=manager, upload=_xlsx([["工号", "姓名", "手机号", "鞋码"], ["X2", "a", "13966660022", "42"]]),
                               consent_confirmed=True))
    assert bad.status == "rejected" and bad.report[0]["column"] == "鞋码"


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(in_a, manager):
    with pytest.raises(Exception) as refused:
        processed(import_services.start_import(actor=manager, upload=SimpleUploadedFile("x.pdf", b"%PDF-1.4 ..."), consent_confirmed=True))
    assert "file" in refused.value.message_dict


def test_a_birth_date_contradicting_the_stored_id_number_is_a_row_error(in_a, manager):
    from datetime import date

    person = make_employee(employee_number="DOB-1", id_number=resident_id(birth=date(1990, 3, 7), sequence=21))
    header = "工号,姓名,手机号,出生日期\n"
    text = header + f"DOB-1,{person.account.display_name},{person.account.mobile},1991-01-01\n"
    job = processed(import_services.start_import(actor=manager, upload=_csv(text), consent_confirmed=True))
    assert job.status == ImportJob.Status.REJECTED
    assert [(error["row"], error["column"]) for error in job.report] == [(2, "Date of birth")]
    assert Employee.objects.get(pk=person.pk).date_of_birth == date(1990, 3, 7)
    agreeing = header + f"DOB-1,{person.account.display_name},{person.account.mobile},1990-03-07\n"
    assert processed(import_services.start_import(actor=manager, upload=_csv(agreeing), consent_confirmed=True)).status == "succeeded"


@pytest.mark.promise("C12")
def test_an_import_records_the_legal_basis_of_every_id_number_it_writes(in_a, manager):
    from consent.models import LegalBasisRecord

    existing = make_employee(employee_number="L-OLD")
    assert not LegalBasisRecord.objects.exists()
    text = HEADER + (
        f"L001,甲,13966660031,总部,,,,{resident_id(sequence=31)},,\n"
        "L002,乙,13966660032,总部,,,,,,\n"
        f"L-OLD,{existing.account.display_name},{existing.account.mobile},,,,,{resident_id(sequence=32)},,\n"
    )
    job = processed(import_services.start_import(actor=manager, upload=_csv(text), consent_confirmed=True))
    assert job.status == "succeeded", job.report
    records = LegalBasisRecord.objects.select_related("purpose")
    holders = {Employee.objects.get(employee_number="L001").account_id, existing.account_id}
    assert {record.person_id for record in records} == holders and records.count() == 2
    for record in records:
        assert (record.purpose.code, record.basis, record.reference, record.recorded_by_id) == (
            "sensitive.id_number", "contract_necessity", "employment record", manager.pk)
        assert record.purpose_revision == record.purpose.revision and record.occurred_at
    # The same file again writes no ID number, so records nothing more.
    again = HEADER + f"L-OLD,{existing.account.display_name},{existing.account.mobile},,,,,{resident_id(sequence=32)},,\n"
    assert processed(import_services.start_import(actor=manager, upload=_csv(again), consent_confirmed=True)).status == "succeeded"
    assert LegalBasisRecord.objects.count() == 2


@pytest.mark.promise("C12")
def test_the_bulk_legal_basis_refuses_what_the_single_one_refuses(in_a, manager):
    from django.core.exceptions import ValidationError

    from consent.services import legal_bases as legal_basis_services
    from consent.models import LegalBasisRecord

    with pytest.raises(ValidationError) as refused:
        legal_basis_services.record_legal_basis_in_bulk(actor=TEST_SETUP, person_ids=[manager.pk],
                                                        purpose_code="no.such.purpose", basis="curiosity", reference=" ")
    assert set(refused.value.message_dict) == {"basis", "reference", "purpose_code"}
    assert legal_basis_services.record_legal_basis_in_bulk(
        actor=TEST_SETUP, person_ids=[], purpose_code="sensitive.id_number", basis="contract_necessity",
        reference="x") == 0
    assert not LegalBasisRecord.objects.exists()
