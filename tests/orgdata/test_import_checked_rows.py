"""The confirmed import takes the rows its first pass validated (issue 19: the writing pass no
longer reads and validates the whole file again), kept sealed beside the upload, only while the
file, the rules and the day are the ones they were validated with; and they go with the upload."""
from datetime import date, timedelta

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from orgdata.models import Employee, ImportJob
from orgdata.services.imports import checked as checked_rows
from orgdata.services.imports import jobs as import_services
from orgdata.services.imports import rows as row_services
from tests.orgdata.importing import checked

PEOPLE = ("工号,姓名,手机号,部门,入职日期,身份证号,性别\n"
          "C-1,陈一,13911110001,总部,2021-03-01,110105198001011238,男\n"
          "C-2,陈二,13911110002,总部/研发,2020/2/29,,女\n")


def _uploaded(manager) -> ImportJob:
    upload = SimpleUploadedFile("people.csv", PEOPLE.encode(), content_type="text/csv")
    return import_services.start_import(actor=manager, upload=upload, consent_confirmed=True)


def _confirmed(job: ImportJob) -> ImportJob:
    job = import_services.confirm_import(actor=job.created_by, job=job)
    return import_services.run_import(job_id=job.pk, attempt=job.attempt)


def _sealed_path(job: ImportJob) -> str:
    return f"{job.file.name}{checked_rows.SUFFIX}"


def _counting_validation(monkeypatch) -> list:
    calls = []
    validate = row_services.validate_rows

    def counted(*args, **kwargs):
        calls.append(1)
        return validate(*args, **kwargs)

    monkeypatch.setattr(row_services, "validate_rows", counted)
    return calls


def test_the_confirmed_import_writes_the_rows_its_check_validated_and_leaves_nothing_behind(
        in_a, manager, monkeypatch):
    job = checked(_uploaded(manager))
    assert job.status == ImportJob.Status.READY
    storage, sealed_path, upload_path = job.file.storage, _sealed_path(job), job.file.name
    with storage.open(sealed_path, "rb") as stream:
        sealed = stream.read()
    for plain in ("13911110001", "陈一", "110105198001011238", "C-2"):  # encrypted, and compressed first
        assert plain.encode() not in sealed

    validations = _counting_validation(monkeypatch)
    job = _confirmed(job)

    assert job.status == ImportJob.Status.SUCCEEDED and job.created_count == 2
    assert validations == []  # the file was not validated a second time
    first, second = Employee.objects.get(employee_number="C-1"), Employee.objects.get(employee_number="C-2")
    assert first.account.mobile == "13911110001" and first.id_number == "110105198001011238"
    assert first.date_of_birth == date(1980, 1, 1) and first.entry_date == date(2021, 3, 1)
    assert second.entry_date == date(2020, 2, 29) and second.department.name == "研发"
    assert not storage.exists(upload_path) and not storage.exists(sealed_path)


def test_rows_sealed_on_another_day_or_damaged_are_validated_again(in_a, manager, monkeypatch):
    validations = _counting_validation(monkeypatch)
    job = checked(_uploaded(manager))
    assert job.status == ImportJob.Status.READY and validations == [1]
    # Confirmed the next day: ages are counted on that day, so the rows are validated again.
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        job = _confirmed(job)
    assert job.status == ImportJob.Status.SUCCEEDED and validations == [1, 1]
    assert Employee.objects.filter(employee_number__startswith="C-").count() == 2

    other = checked(import_services.start_import(
        actor=manager, consent_confirmed=True,
        upload=SimpleUploadedFile("people.csv", PEOPLE.replace("C-", "D-").replace("1391111", "1392222").replace(
            "110105198001011238", "").encode(),
                                  content_type="text/csv")))
    assert other.status == ImportJob.Status.READY
    storage, sealed_path = other.file.storage, _sealed_path(other)
    with storage.open(sealed_path, "rb") as stream:
        sealed = bytearray(stream.read())
    sealed[-1] ^= 1
    storage.delete(sealed_path)
    storage.save(sealed_path, SimpleUploadedFile("x", bytes(sealed)))
    other = _confirmed(other)
    assert other.status == ImportJob.Status.SUCCEEDED and len(validations) == 4
    assert Employee.objects.filter(employee_number__startswith="D-").count() == 2
    assert not storage.exists(sealed_path)


def test_a_cancelled_import_deletes_its_sealed_rows_with_its_file(in_a, manager):
    job = checked(_uploaded(manager))
    storage, sealed_path = job.file.storage, _sealed_path(job)
    assert storage.exists(sealed_path)
    import_services.cancel_import(actor=manager, job=job)
    assert not storage.exists(sealed_path)


def test_an_upload_changed_after_its_check_is_validated_again_and_written_as_it_now_reads(in_a, manager, monkeypatch):
    job = checked(_uploaded(manager))
    validations = _counting_validation(monkeypatch)
    with job.file.storage.open(job.file.name, "wb") as stream:  # the stored file, not the rows sealed from it
        stream.write(PEOPLE.replace("陈一", "程一").encode())
    job = _confirmed(job)
    assert job.status == ImportJob.Status.SUCCEEDED and validations == [1]
    assert Employee.objects.get(employee_number="C-1").account.display_name == "程一"


def test_rows_that_cannot_be_sealed_leave_the_check_ready_and_are_validated_when_confirmed(
        in_a, manager, monkeypatch):
    def refused(*args, **kwargs):
        raise RuntimeError("no key service")

    with monkeypatch.context() as patched:
        patched.setattr(checked_rows.crypto, "encrypt_bytes", refused)
        job = checked(_uploaded(manager))
    assert job.status == ImportJob.Status.READY and not job.file.storage.exists(_sealed_path(job))
    validations = _counting_validation(monkeypatch)
    job = _confirmed(job)
    assert job.status == ImportJob.Status.SUCCEEDED and validations == [1]
