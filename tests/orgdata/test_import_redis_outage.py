"""While the cache Redis is unreachable, imports still run and the console's import page answers
from the database: the job's status without progress numbers, never "interrupted" merely because
the heartbeat cannot be read; recovery takes the phase from the database. Once Redis answers again,
progress is shown again (E7). A real redis-server is stopped and started (see
tests/tenants/test_routing_resilience.py)."""
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from orgdata.models import Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from core.process_cache import redis_breaker
from tests.orgdata.importing import processed
from tests.tenants.test_routing_resilience import throwaway_redis  # noqa: F401  (a fixture)

HEADER = "工号,姓名,手机号,部门\n"


def _upload(rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("people.csv", (HEADER + rows).encode(), content_type="text/csv")


def _status_page(console, job) -> tuple[str, dict]:
    """The import page and the JSON it polls, as the administrator's browser gets them."""
    page = console.get(f"/console/organisation/import/{job.pk}/")
    progress = console.get(f"/console/organisation/import/{job.pk}/?format=json")
    assert (page.status_code, progress.status_code) == (200, 200)
    return page.content.decode(), progress.json()


def _redis_is_back(server):
    server.start()
    time.sleep(redis_breaker.retry_seconds + 0.1)  # the breaker tries Redis again


@pytest.mark.promise("E7")
def test_while_redis_is_down_an_import_runs_and_its_page_shows_the_status_from_the_database(
        in_a, manager, console_as, throwaway_redis):
    console = console_as(manager)
    job = import_services.start_import(actor=manager, upload=_upload("R001,周一,13955550001,总部/研发部\n"
                                                                     "R002,吴二,13955550002,总部\n"), consent_confirmed=True)
    throwaway_redis.stop()

    page, progress = _status_page(console, job)
    assert progress["status"] == "queued" and 'id="status">Queued<' in page

    job = processed(job)  # the worker's own function, with no cache to report to
    assert job.status == ImportJob.Status.SUCCEEDED, job.failure_reason
    assert set(Employee.objects.filter(employee_number__startswith="R").values_list(
        "employee_number", flat=True)) == {"R001", "R002"}
    page, progress = _status_page(console, job)
    assert (progress["status"], progress["done"], progress["percent"]) == ("succeeded", 2, 100)
    assert "2 added, 0 updated, 2 departments created." in page

    # The rows this attempt checked were counted only in the cache: unknown now, and said so.
    rejected = processed(import_services.start_import(actor=manager, upload=_upload("R003,,13955550003,总部\n"),
                                                      consent_confirmed=True))
    assert rejected.status == ImportJob.Status.REJECTED
    page, progress = _status_page(console, rejected)
    assert (progress["status"], progress["is_progress_known"], progress["done"], progress["percent"]) == (
        "rejected", False, None, None)
    assert "Rejected: the file has errors" in page and "Progress cannot be shown right now" in page
    assert 'data-testid="import-report"' in page  # the report lives in the database

    _redis_is_back(throwaway_redis)
    again = processed(import_services.start_import(actor=manager, upload=_upload("R004,,13955550004,总部\n"),
                                                   consent_confirmed=True))
    page, progress = _status_page(console, again)
    assert (progress["status"], progress["is_progress_known"], progress["done"], progress["total"]) == (
        "rejected", True, 1, 1)
    assert 'id="progress-unknown" hidden' in page


def test_a_running_import_is_called_interrupted_only_when_its_heartbeat_is_known_to_be_stale(
        in_a, manager, console_as, throwaway_redis):
    console = console_as(manager)
    job = import_services.start_import(actor=manager, upload=_upload("S001,郑三,13955550011,总部\n"), consent_confirmed=True)
    # What a worker that died just after starting leaves behind: the job running, no heartbeat.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())
    _, progress = _status_page(console, job)
    assert progress["is_interrupted"] is True  # the cache answers and holds no heartbeat

    throwaway_redis.stop()
    page, progress = _status_page(console, job)
    assert (progress["status"], progress["is_interrupted"], progress["interruption"]) == ("running", False, "")
    assert progress["is_progress_known"] is False and progress["percent"] is None
    assert 'id="status">Running<' in page and 'id="interruption" class="errors" role="status" hidden' in page

    _redis_is_back(throwaway_redis)
    _, progress = _status_page(console, job)
    assert progress["is_interrupted"] is True and progress["is_progress_known"] is True


def test_while_redis_is_down_recovery_tells_from_the_database_whether_the_file_was_read(
        in_a, manager, throwaway_redis):
    read_in_full, unread = (import_services.start_import(actor=manager, upload=_upload(f"T00{n},王{n},1395555002{n},总部\n"),
                                                         consent_confirmed=True) for n in (1, 2))
    # Both workers died (no session holds their locks); one had committed the row count of its file.
    ImportJob.objects.filter(pk=read_in_full.pk).update(status=ImportJob.Status.RUNNING, total_rows=1)
    ImportJob.objects.filter(pk=unread.pk).update(status=ImportJob.Status.RUNNING)
    throwaway_redis.stop()

    assert import_services.recover_abandoned_imports() == {"failed": 1, "retried": 1, "resent": 0}
    read_in_full.refresh_from_db()
    unread.refresh_from_db()
    assert (read_in_full.status, read_in_full.attempt) == (ImportJob.Status.QUEUED, 2)
    assert unread.status == ImportJob.Status.FAILED and "while reading the file" in unread.failure_reason
