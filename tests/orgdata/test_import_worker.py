"""Large imports run on a real Celery worker with live progress; a worker killed mid-import
leaves nothing behind, and the retry imports everything exactly once (E7)."""
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import schema_context

from accounts.models import User
from orgdata.models import Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from orgdata.services.imports.progress import HEARTBEAT_STALE_SECONDS
from orgdata.tasks import recover_abandoned_imports
from tests.conftest import ROOT, _test_database_url
from tests.committing import committed
from tests.workers import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")
ROWS = 15_000


def _big_csv(rows: int) -> SimpleUploadedFile:
    lines = ["工号,姓名,手机号,部门,职位"]
    for n in range(rows):
        lines.append(f"W{n:06d},员工{n},139{n:08d},总部/部门{n % 30},工程师")
    return SimpleUploadedFile("big.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def _job(schema, pk) -> ImportJob:
    return committed(schema, lambda: ImportJob.objects.get(pk=pk))


def _confirmed_when_ready(schema, pk, timeout: float = 120) -> ImportJob:
    """Wait for the worker's check of the file (issue 14: the preview), then confirm it as its uploader."""
    ready = wait_until(lambda: (lambda j: j if j.status != ImportJob.Status.QUEUED and j.status != ImportJob.Status.RUNNING
                           else None)(_job(schema, pk)), timeout, 0.1)
    assert ready.status == ImportJob.Status.READY, (ready.status, ready.report[:3], ready.failure_reason)
    return committed(schema, lambda: import_services.confirm_import(actor=ready.created_by, job=ready,
                                                                    create_new_values=True))


def _start_disposable_worker(queue: str, django_db_blocker) -> subprocess.Popen:
    from config.celery import app

    with django_db_blocker.unblock():
        database_url = _test_database_url()
    name = f"{queue}@{socket.gethostname()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url,
           "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
           "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]}
    log = open(ROOT / ".data" / "test-worker-disposable.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
                               "--loglevel", "INFO", "-Q", queue, "-n", name],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wait_until(lambda: app.control.ping(destination=[name], timeout=0.5) or worker.poll() is not None, 60)
    assert worker.poll() is None, "disposable worker did not start"
    return worker


@pytest.mark.promise("E7")
def test_a_killed_worker_leaves_no_half_import_and_the_retry_imports_everything_once(
        own_enterprise, django_db_blocker):
    schema = own_enterprise.schema_name
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-doomed"
    worker = _start_disposable_worker(queue, django_db_blocker)
    try:
        with override_settings(ORGDATA_IMPORT_QUEUE=queue):
            job = committed(schema, lambda: import_services.start_import(
                actor=User.objects.get(role=User.Role.MANAGER), upload=_big_csv(ROWS), consent_confirmed=True))
            assert job.status == ImportJob.Status.QUEUED
            _confirmed_when_ready(schema, job.pk)

        # Live progress, as the console polls it: rows counted while the worker writes.
        seen = wait_until(lambda: (lambda p: p if p["phase"] == "writing" and p["done"] > 0 else None)(
            committed(schema, lambda: import_services.import_progress(ImportJob.objects.get(pk=job.pk)))), 120, 0.05)
        assert seen["status"] == "running" and seen["total"] == ROWS and 50 <= seen["percent"] < 100
        assert seen["is_worker_alive"] is True

        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()

    # The dead worker's transaction died with its connection: nothing of the file is in the database.
    wait_until(lambda: not committed(schema, lambda: import_services.is_being_processed(ImportJob.objects.get(pk=job.pk))), 30)
    with schema_context(schema):
        assert not Employee.objects.exists()
        assert User.objects.count() == 1  # the manager only: no half-created accounts
    assert _job(schema, job.pk).status == ImportJob.Status.RUNNING
    # The heartbeat stopped with the worker: within seconds the console says the import resumes.
    progress = wait_until(lambda: (lambda p: p if p["is_interrupted"] else None)(
        committed(schema, lambda: import_services.import_progress(ImportJob.objects.get(pk=job.pk)))),
        HEARTBEAT_STALE_SECONDS + 10, 0.5)
    assert progress["interruption"] == "Interrupted — resuming."

    # The periodic recovery (run here by the session's real worker) retries it on the normal queue.
    with schema_context(schema):
        assert recover_abandoned_imports.delay().get(timeout=60) == {"failed": 0, "retried": 1, "resent": 0}
    finished = wait_until(lambda: (lambda j: j if j.is_finished else None)(_job(schema, job.pk)), 180, 0.5)
    assert finished.status == ImportJob.Status.SUCCEEDED, finished.failure_reason
    assert (finished.attempt, finished.created_count) == (2, ROWS)
    with schema_context(schema):
        assert Employee.objects.count() == ROWS
        assert Employee.objects.values("employee_number").distinct().count() == ROWS
        progress = import_services.import_progress(ImportJob.objects.get(pk=job.pk))
    assert progress["percent"] == 100 and progress["done"] == ROWS


@pytest.mark.promise("E7")
def test_an_import_whose_task_message_was_lost_is_sent_again_and_imports_once(own_enterprise):
    schema = own_enterprise.schema_name
    lost_queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-nobody-listens"
    upload = SimpleUploadedFile("few.csv", "工号,姓名,手机号,部门\nQ001,赵一,13733330001,总部\nQ002,钱二,13733330002,总部\n"
                                .encode(), content_type="text/csv")
    with override_settings(ORGDATA_IMPORT_QUEUE=lost_queue):
        job = committed(schema, lambda: import_services.start_import(
            actor=User.objects.get(role=User.Role.MANAGER), upload=upload, consent_confirmed=True))
    assert job.status == ImportJob.Status.QUEUED

    # Just queued: too early to suspect the broker; nothing is sent again.
    with schema_context(schema):
        assert recover_abandoned_imports.delay().get(timeout=60) == {"failed": 0, "retried": 0, "resent": 0}
    committed(schema, lambda: ImportJob.objects.filter(pk=job.pk).update(
        created_at=ImportJob.objects.get(pk=job.pk).created_at - import_services.QUEUED_TOO_LONG))

    with schema_context(schema):
        assert recover_abandoned_imports.delay().get(timeout=60) == {"failed": 0, "retried": 0, "resent": 1}
    _confirmed_when_ready(schema, job.pk, 60)
    finished = wait_until(lambda: (lambda j: j if j.is_finished else None)(_job(schema, job.pk)), 60, 0.2)
    assert (finished.status, finished.attempt, finished.created_count) == (ImportJob.Status.SUCCEEDED, 1, 2)
    with schema_context(schema):
        assert set(Employee.objects.filter(employee_number__startswith="Q").values_list(
            "employee_number", flat=True)) == {"Q001", "Q002"}


def test_a_web_process_knows_the_import_task_it_queues():
    """The console queues an import by the task's registered name; a web process (which never runs
    Celery's autodiscovery) must know it, or the upload answers 500."""
    program = ("import django; django.setup(); import config.wsgi; from celery import current_app; "
               "print('orgdata.tasks.run_import' in current_app.tasks)")
    result = subprocess.run([sys.executable, "-c", program], cwd=Path(__file__).resolve().parents[2],
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr[-2000:]
