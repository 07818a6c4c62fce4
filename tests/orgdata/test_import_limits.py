"""Spreadsheets that no file can take down (E8, X2): each bomb class is built here, uploaded through
the console to the real worker, and refused with a message naming the problem, after one attempt,
while the worker's peak memory stays under 300 MB. The checks that need no parsing (archive
directory) refuse the upload in the request itself."""
import io
import os
import random
import signal
import string
import zipfile

import pytest
from django.conf import settings
from django.test import Client, override_settings

from accounts.models import User
from core import tabular
from orgdata.models import Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from orgdata.services.imports.progress import HEARTBEAT_STALE_SECONDS
from orgdata.tasks import recover_abandoned_imports
from tests.committing import committed
from tests.orgdata.test_import_worker import _job, _start_disposable_worker
from tests.workers import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")
# What parsing one hostile file may add to the worker's resident memory, over what it already held
# (other tests' work, e.g. the face model, stays resident in the session's worker).
GROWTH_LIMIT_KIB = 150 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _xlsx(sheet_xml: bytes | str, *, shared_xml: str | None = None, extra_parts: dict | None = None,
          compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal, well-formed workbook whose first sheet is `sheet_xml` (bytes or text)."""
    relations = ('<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/worksheet" Target="worksheets/sheet1.xml"/>')
    if shared_xml is not None:
        relations += ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      'relationships/sharedStrings" Target="sharedStrings.xml"/>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
                         '</sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/'
                         f'package/2006/relationships">{relations}</Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_xml is not None:
            archive.writestr("xl/sharedStrings.xml", shared_xml)
        for name, content in (extra_parts or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = f'<row r="1">{_cell("A1", "工号")}{_cell("B1", "姓名")}{_cell("C1", "手机号")}</row>'


def _sheet(rows: str, dimension: str = "") -> str:
    dimension = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">{dimension}<sheetData>{HEADER_ROW}{rows}</sheetData></worksheet>'


def _peak_reset(worker) -> int:
    """Reset the process's resident high-water mark (VmHWM; Linux: writing 5 to clear_refs) and
    return what it holds now (KiB)."""
    with open(f"/proc/{worker.pid}/clear_refs", "w") as clear:
        clear.write("5")
    return _status_kib(worker, "VmRSS:")


def _peak_kib(worker) -> int:
    return _status_kib(worker, "VmHWM:")


def _status_kib(worker, field: str) -> int:
    with open(f"/proc/{worker.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def _console_upload(enterprise, name: str, content: bytes):
    """POST the file to the console's upload page as the enterprise's manager, committed at once
    (the worker sees it), and return (response, the page's job if one was queued)."""
    def upload():
        client = Client(HTTP_HOST=enterprise.host)
        client.force_login(User.objects.get(role=User.Role.MANAGER))
        response = client.post("/console/organisation/import/", {
            "file": _named(name, content), "consent_confirmed": "on"})
        job = ImportJob.objects.order_by("-pk").first() if response.status_code == 302 else None
        return response, job
    return committed(enterprise.schema_name, upload)


def _named(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _status_page(enterprise, job_pk: int):
    def read():
        client = Client(HTTP_HOST=enterprise.host)
        client.force_login(User.objects.get(role=User.Role.MANAGER))
        return client.get(f"/console/organisation/import/{job_pk}/"), client.get(
            f"/console/organisation/import/{job_pk}/?format=json").json()
    return committed(enterprise.schema_name, read)


def _finished(enterprise, job_pk: int) -> ImportJob:
    return wait_until(lambda: (lambda j: j if j.is_finished else None)(_job(enterprise.schema_name, job_pk)), 120, 0.2)


def _huge_row_number():
    return _sheet(f'<row r="2000000000">{_cell("A2000000000", "E1")}</row>')


def _huge_dimension():
    return _sheet(f'<row r="2">{_cell("A2", "E1")}</row>', dimension="A1:C5000000")


def _many_rows():
    return _sheet("".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 200_010)))


def _one_huge_cell():
    # 5 MB of random letters: compresses too little to trip the ratio check, so the cell check does.
    randomiser = random.Random(7)
    huge = "".join(randomiser.choices(string.ascii_letters, k=5_000_000))
    return _sheet(f'<row r="2">{_cell("A2", "E1")}{_cell("B2", huge)}</row>')


def _huge_shared_string():
    randomiser = random.Random(8)
    huge = "".join(randomiser.choices(string.ascii_letters, k=3_000_000))
    return {"sheet_xml": _sheet('<row r="2"><c r="B2" t="s"><v>0</v></c></row>'),
            "shared_xml": f'<sst xmlns="{MAIN}" uniqueCount="1"><si><t>{huge}</t></si></sst>'}


def _billion_laughs():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet xmlns="{MAIN}"><sheetData>'
            f'{HEADER_ROW}<row r="2">{_cell("A2", "&lol9;")}</row></sheetData></worksheet>')


def _huge_attribute():
    # expat holds a whole tag in memory: 3 MB of random digits in one attribute.
    digits = "".join(random.Random(9).choices(string.digits, k=3_000_000))
    return _sheet(f'<row r="2" spans="{digits}">{_cell("A2", "E1")}</row>')


@pytest.mark.promise("E8")
@pytest.mark.parametrize("build,named", [
    (_huge_row_number, "reaches row 2,000,000,000"),
    (_huge_dimension, "reaches row 5,000,000"),
    (_many_rows, "reaches row 200,002"),
    (_one_huge_cell, "Cell B2 is longer than 2,000 characters"),
    (_huge_shared_string, "Cell B2 is longer than 2,000 characters"),
    (_billion_laughs, "document type declaration"),
    (_huge_attribute, "XML tag longer than 1 MB"),
], ids=["row-2-billion", "dimension", "many-rows", "huge-cell", "huge-shared-string", "entity-dtd", "huge-tag"])
def test_a_spreadsheet_bomb_fails_once_with_its_problem_named_and_the_worker_stays_small(
        own_enterprise, celery_worker, build, named):
    built = build()
    content = _xlsx(**built) if isinstance(built, dict) else _xlsx(built)
    before = _peak_reset(celery_worker)
    response, job = _console_upload(own_enterprise, "bomb.xlsx", content)
    assert response.status_code == 302 and job.status == ImportJob.Status.QUEUED  # stored and queued, not parsed

    finished = _finished(own_enterprise, job.pk)
    assert finished.status == ImportJob.Status.FAILED and finished.attempt == 1
    assert named in finished.failure_reason
    page, progress = _status_page(own_enterprise, job.pk)
    assert named in page.content.decode() and progress["status"] == "failed"
    peak = _peak_kib(celery_worker)
    # The figures the closing notes quote (pytest -s).
    print(f"worker peak {peak / 1024:.0f} MB, {(peak - before) / 1024:.0f} MB over what it held before")
    assert peak - before < GROWTH_LIMIT_KIB, f"worker grew by {peak - before} KiB (peak {peak} KiB)"
    assert not committed(own_enterprise.schema_name, lambda: Employee.objects.exists())
    assert not finished.file  # the upload is not kept


def _high_ratio_part():
    # One part of 200 MB of spaces: deflate packs it about 1,000 times.
    return _xlsx(_sheet("") .replace("<sheetData>", "<sheetData>" + " " * 200_000_000, 1))


def _too_many_unpacked_bytes():
    # 300 parts of 1 MB each (too small for the ratio check), 300 MB unpacked in all.
    return _xlsx(_sheet(""), extra_parts={f"xl/media/pad{n}.bin": b"\0" * (1024 * 1024) for n in range(300)})


@pytest.mark.promise("E8")
@pytest.mark.parametrize("build,named", [
    (_high_ratio_part, "compressed more than 100 times"),
    (_too_many_unpacked_bytes, "unpacks to more than 256 MB"),
], ids=["zip-ratio", "unpacked-bytes"])
def test_an_archive_bomb_is_refused_by_the_upload_itself_with_a_400_naming_the_file_field(
        own_enterprise, build, named):
    content = build()
    before = committed(own_enterprise.schema_name, lambda: ImportJob.objects.count())
    response, job = _console_upload(own_enterprise, "bomb.xlsx", content)
    assert response.status_code == 400 and job is None
    assert named in response.content.decode()
    assert response.context["form"].errors["file"][0].startswith(named.split()[0]) or named in str(
        response.context["form"].errors["file"])
    assert committed(own_enterprise.schema_name, lambda: ImportJob.objects.count()) == before


@pytest.mark.promise("E8")
def test_a_nul_in_a_csv_cell_is_reported_with_its_row_and_column(own_enterprise):
    content = "工号,姓名,手机号,部门\nN001,张三,13912340001,总部\nN002,李\x00四,13912340002,总部\n".encode()
    response, job = _console_upload(own_enterprise, "people.csv", content)
    assert response.status_code == 302
    finished = _finished(own_enterprise, job.pk)
    assert finished.status == ImportJob.Status.REJECTED and finished.attempt == 1
    assert [(error["row"], error["column"]) for error in finished.report] == [(3, "姓名")]
    assert "NUL" in finished.report[0]["reason"]
    assert not committed(own_enterprise.schema_name, lambda: Employee.objects.exists())


def test_the_exports_apostrophe_is_taken_off_exactly_once_on_import():
    values = ["=1+1", "+86 139", "-Li", "@home", "'=already quoted", "it's", "'plain", "-5"]
    exported = tabular.write_csv(["姓名"], [[value] for value in values])
    read = [row[0] for row in tabular.read_rows(io.BytesIO(exported), "csv")][1:]
    assert read == values
    # Nothing the reader returns is written back as a live formula: the writers neutralise again.
    assert tabular.write_csv(["姓名"], [[read[0]]]).decode("utf-8-sig").splitlines()[1] == "'=1+1"


@pytest.mark.promise("E8")
def test_a_worker_killed_while_reading_is_shown_interrupted_within_seconds_and_fails_after_one_attempt(
        own_enterprise, django_db_blocker):
    schema = own_enterprise.schema_name
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-reading"
    rows = "".join(f'<row r="{n}">{_cell(f"A{n}", f"R{n:06d}")}{_cell(f"B{n}", "某人")}'
                   f'{_cell(f"C{n}", f"139{n:08d}")}</row>' for n in range(2, 150_002))
    content = _xlsx(_sheet(rows))
    worker = _start_disposable_worker(queue, django_db_blocker)
    try:
        with override_settings(ORGDATA_IMPORT_QUEUE=queue):
            response, job = _console_upload(own_enterprise, "slow.xlsx", content)
        assert response.status_code == 302
        wait_until(lambda: (lambda p: p["phase"] == "reading" and p["status"] == "running" and not p["is_interrupted"])(
            _status_page(own_enterprise, job.pk)[1]), 60, 0.1)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()

    # The heartbeat stops with the process: the console says so long before the recovery job runs.
    progress = wait_until(lambda: (lambda p: p if p["is_interrupted"] else None)(
        _status_page(own_enterprise, job.pk)[1]), HEARTBEAT_STALE_SECONDS + 10, 0.5)
    assert progress["status"] == "running" and "will be marked failed" in progress["interruption"]
    page, _progress = _status_page(own_enterprise, job.pk)
    assert "will be marked failed" in page.content.decode()

    wait_until(lambda: not committed(schema, lambda: import_services.is_being_processed(ImportJob.objects.get(pk=job.pk))), 30)
    from django_tenants.utils import schema_context

    with schema_context(schema):
        assert recover_abandoned_imports.delay().get(timeout=60) == {"failed": 1, "retried": 0, "resent": 0}
    failed = _job(schema, job.pk)
    assert (failed.status, failed.attempt) == (ImportJob.Status.FAILED, 1)
    assert "stopped while reading the file" in failed.failure_reason
    with schema_context(schema):  # never queued again
        assert recover_abandoned_imports.delay().get(timeout=60) == {"failed": 0, "retried": 0, "resent": 0}

