"""Import that cannot trap anyone (issue 14): a template with no person in it and drop-down lists
of the allowed values; a preview before anything is written; positions and job levels that do not
exist created only when the administrator chooses so. Through the console, as an administrator."""
import io
import re

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEntry
from orgdata.models import Department, Employee, ImportJob, JobLevel, Position
from orgdata.services.imports import jobs as import_services
from tests.orgdata.factories import make_department, make_employee
from tests.orgdata.importing import checked

TEMPLATE = "/console/organisation/import/template"


def _upload(console, text: str) -> ImportJob:
    uploaded = console.post("/console/organisation/import/", {
        "file": SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv"), "consent_confirmed": "on"})
    assert uploaded.status_code == 302, uploaded.content.decode()[:500]
    job = ImportJob.objects.get(pk=int(uploaded["Location"].rstrip("/").rsplit("/", 1)[-1]))
    assert job.status == ImportJob.Status.QUEUED  # the request stored it; it parsed nothing
    return job


def _list_values(book, validation) -> list:
    sheet_name, cells = validation.formula1.split("!")
    first, last = cells.replace("$", "").split(":")
    return [cell.value for (cell,) in book[sheet_name.strip("'")][f"{first}:{last}"]]


def test_the_template_has_no_person_in_it_and_drop_down_lists_of_the_allowed_values(in_a, manager, console_as):
    Position.objects.create(name="测试岗")
    JobLevel.objects.create(name="T9", rank=90)
    console = console_as(manager)

    csv_template = console.get(f"{TEMPLATE}.csv").content.decode("utf-8-sig")
    assert csv_template.strip().splitlines() == [csv_template.strip()]  # the headers, nothing else
    assert "张三" not in csv_template

    book = openpyxl.load_workbook(io.BytesIO(console.get(f"{TEMPLATE}.xlsx").content))
    sheet = book.worksheets[0]  # the one the import reads
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Employee number*", "Name*", "Mobile number*"]
    assert not any(cell.value for row in sheet.iter_rows(min_row=2) for cell in row)
    assert "Instructions" in book.sheetnames and book["lists"].sheet_state == "hidden"
    assert any("preview" in (row[0] or "") for row in book["Instructions"].iter_rows(values_only=True))
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        lists[header[openpyxl.utils.column_index_from_string(column) - 1]] = (
            _list_values(book, validation), validation.errorStyle)
    assert lists["Gender"] == (["Female", "Male", "Prefer not to say"], "stop")
    assert "Working" in lists["Work status"][0] and lists["Work status"][1] == "stop"
    assert "测试岗" in lists["Position"][0] and lists["Position"][1] == "warning"
    assert "T9" in lists["Job level"][0]

    # Uploaded as it is, the template adds nobody and no department.
    job = checked(_upload(console, csv_template))
    assert job.status == ImportJob.Status.REJECTED and "no rows" in job.report[0]["reason"]
    assert not Employee.objects.exists() and not Department.objects.exists()


def test_the_preview_counts_rows_to_add_change_and_skip_and_nothing_is_written_before_confirming(
        in_a, manager, console_as):
    hq = make_department("总部")
    same = make_employee(employee_number="S-1", name="不变", department=hq)
    moving = make_employee(employee_number="S-2", name="调动", department=hq)
    console = console_as(manager)
    job = _upload(console, "工号,姓名,手机号,部门\n"
                           f"S-1,不变,{same.account.mobile},总部\n"
                           f"S-2,调动,{moving.account.mobile},总部/新部门\n"
                           "S-3,新人,13977770003,总部/新部门/一组\n")
    job = checked(job)
    assert job.status == ImportJob.Status.READY and job.file  # kept for the confirmed pass
    page = console.get(f"/console/organisation/import/{job.pk}/").content.decode()
    counts = {name: re.search(rf'data-testid="preview-{name}">(\d+)<', page).group(1)
              for name in ("added", "changed", "unchanged", "new-departments")}
    assert counts == {"added": "1", "changed": "1", "unchanged": "1", "new-departments": "2"}
    assert "总部/新部门/一组" in page
    assert not Employee.objects.filter(employee_number="S-3").exists()
    assert Department.objects.count() == 1 and Employee.objects.get(pk=moving.pk).department == hq

    confirmed = console.post(f"/console/organisation/import/{job.pk}/confirm/")
    assert confirmed.status_code == 302
    job = import_services.run_import(job_id=job.pk, attempt=ImportJob.objects.get(pk=job.pk).attempt)
    assert (job.status, job.created_count, job.updated_count, job.departments_created) == ("succeeded", 1, 2, 2)
    assert Employee.objects.get(pk=moving.pk).department.name == "新部门" and not job.file
    assert AuditEntry.objects.filter(action="import_confirmed", object_id=str(job.pk)).exists()


def test_unknown_positions_and_job_levels_are_created_only_when_the_administrator_chooses(in_a, manager, console_as):
    Position.objects.create(name="工程师")
    console = console_as(manager)
    job = checked(_upload(console, "工号,姓名,手机号,职位,职级\n"
                                   "U-1,甲,13977770011,工程师,\n"
                                   "U-2,乙,13977770012,架构师,Z9\n"))
    assert job.status == ImportJob.Status.READY
    assert (job.preview["new_positions"], job.preview["new_job_levels"]) == (["架构师"], ["Z9"])
    page = console.get(f"/console/organisation/import/{job.pk}/").content.decode()
    assert "架构师" in page and 'name="create_new_values"' in page

    # Confirming without choosing to create them is refused, naming the field; nothing changes.
    refused = console.post(f"/console/organisation/import/{job.pk}/confirm/")
    assert refused.status_code == 400 and 'data-field="create_new_values"' in refused.content.decode()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.READY
    assert not Position.objects.filter(name="架构师").exists()

    assert console.post(f"/console/organisation/import/{job.pk}/confirm/", {"create_new_values": "on"}).status_code == 302
    job = import_services.run_import(job_id=job.pk, attempt=1)
    assert job.status == ImportJob.Status.SUCCEEDED, job.report
    assert Employee.objects.get(employee_number="U-2").position.name == "架构师"
    assert JobLevel.objects.filter(name="Z9").exists()


def test_a_name_the_preview_did_not_list_is_not_created_by_the_confirmed_import(in_a, manager):
    Position.objects.create(name="工程师")
    job = checked(import_services.start_import(actor=manager, consent_confirmed=True, upload=SimpleUploadedFile(
        "p.csv", "工号,姓名,手机号,职位\nN-1,甲,13977770021,工程师\n".encode())))
    assert job.preview["new_positions"] == []  # the preview found nothing new ...
    job = import_services.confirm_import(actor=manager, job=job)
    Position.objects.filter(name="工程师").delete()  # ... and it is gone before the writing pass
    job = import_services.run_import(job_id=job.pk, attempt=job.attempt)
    assert job.status == ImportJob.Status.REJECTED and job.report[0]["column"] == "Position"
    assert not Position.objects.exists() and not Employee.objects.exists()


def test_a_cancelled_or_forgotten_import_writes_nothing_and_its_file_is_deleted(in_a, manager, console_as):
    console = console_as(manager)
    job = checked(_upload(console, "工号,姓名,手机号\nC-1,甲,13977770031\n"))
    stored = job.file.name
    assert console.post(f"/console/organisation/import/{job.pk}/cancel/").status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and not job.file and not job.file.storage.exists(stored)
    assert console.post(f"/console/organisation/import/{job.pk}/confirm/").status_code == 400  # too late
    assert not Employee.objects.exists()

    forgotten = checked(_upload(console, "工号,姓名,手机号\nC-2,乙,13977770032\n"))
    assert import_services.cancel_unconfirmed_imports() == 0
    ImportJob.objects.filter(pk=forgotten.pk).update(
        created_at=timezone.now() - import_services.UNCONFIRMED_KEPT_FOR)
    assert import_services.cancel_unconfirmed_imports() == 1
    forgotten.refresh_from_db()
    assert forgotten.status == ImportJob.Status.CANCELLED and not forgotten.file and not Employee.objects.exists()
