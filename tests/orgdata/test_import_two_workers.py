"""Issue 18: two Celery workers on one queue, given the same import several times (a duplicate
sent while it runs, a redelivery after it finished), import it once (E7)."""
import threading

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from accounts.models import User
from audit.models import AuditEntry
from orgdata.models import Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from orgdata.tasks import run_import
from tests.committing import committed
from tests.orgdata.conftest import _own_enterprise, _retire
from tests.orgdata.test_import_worker import _big_csv, _confirmed_when_ready, _job
from tests.workers import queue_is_drained, real_workers, received_by, retries_logged, wait_until

ROWS = 3_000


@pytest.fixture(scope="module")
def own_enterprise(session_enterprises, django_db_blocker):
    enterprise = _own_enterprise("org-two-workers", "Orgdata two workers", "13744440002", django_db_blocker)
    yield enterprise
    _retire(enterprise, django_db_blocker)


@pytest.mark.promise("E7")
def test_two_workers_given_the_same_import_three_times_import_it_once(own_enterprise, django_db_blocker):
    schema = own_enterprise.schema_name
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-two-workers"
    with real_workers(2, queue, django_db_blocker) as names, override_settings(ORGDATA_IMPORT_QUEUE=queue):
        job = committed(schema, lambda: import_services.start_import(
            actor=User.objects.get(role=User.Role.MANAGER), upload=_big_csv(ROWS), consent_confirmed=True))
        confirmed = _confirmed_when_ready(schema, job.pk)
        # The confirmation queued the writing pass; the same message twice more at once: one of the
        # two workers takes the first while the other takes a duplicate.
        with schema_context(schema):
            for _ in range(2):
                run_import.apply_async((job.pk, confirmed.attempt), queue=queue)
        finished = wait_until(lambda: (lambda j: j if j.is_finished else None)(_job(schema, job.pk)), 180, 0.2)
        wait_until(lambda: queue_is_drained(names, queue), 60, 0.5)
        # Redelivered after it finished (a broker's visibility timeout, a recovery that raced it).
        with schema_context(schema):
            run_import.apply_async((job.pk, confirmed.attempt), queue=queue)
        wait_until(lambda: queue_is_drained(names, queue), 60, 0.5)
        received = received_by(names, queue, "orgdata.tasks.run_import")
        retried = retries_logged(names, queue, "orgdata.tasks.run_import")

    # The checking pass, the confirmed one, two duplicates and the redelivery (and a retry of any
    # that met the other worker still on the job); both workers took some.
    assert sum(received) == 5 + retried and all(received), (received, retried)
    assert finished.status == ImportJob.Status.SUCCEEDED, finished.failure_reason
    assert (_job(schema, job.pk).status, _job(schema, job.pk).created_count) == (ImportJob.Status.SUCCEEDED, ROWS)
    with schema_context(schema):
        assert Employee.objects.count() == ROWS
        assert Employee.objects.values("employee_number").distinct().count() == ROWS
        created = AuditEntry.objects.filter(object_type="orgdata.employee", action="create")
        assert created.count() == ROWS
        assert created.values("object_id").distinct().count() == ROWS


@pytest.mark.promise("E7")
def test_a_confirmed_import_whose_job_another_worker_still_holds_runs_once_that_worker_lets_go(
        own_enterprise, django_db_blocker):
    """The worker that checked the file may still hold the job (finishing up) when the confirmation
    queues the writing pass and the other worker takes it: that delivery is tried again, not
    dropped (dropped, the import would wait for the recovery, QUEUED_TOO_LONG)."""
    schema = own_enterprise.schema_name
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-two-workers"
    held, release = threading.Event(), threading.Event()

    def worker_finishing_the_check(job_id):
        try:
            with schema_context(schema), import_services._job_lock(job_id) as acquired:
                assert acquired
                held.set()
                release.wait(90)
        finally:
            connection.close()

    with real_workers(2, queue, django_db_blocker) as names, override_settings(ORGDATA_IMPORT_QUEUE=queue):
        upload = SimpleUploadedFile("few.csv", "工号,姓名,手机号,部门\nH001,冯一,13755550001,总部\nH002,陈二,13755550002,总部\n"
                                    .encode(), content_type="text/csv")
        job = committed(schema, lambda: import_services.start_import(
            actor=User.objects.get(role=User.Role.MANAGER), upload=upload, consent_confirmed=True))
        ready = wait_until(lambda: (lambda j: j if j.status == ImportJob.Status.READY else None)(_job(schema, job.pk)), 60)
        wait_until(lambda: not committed(schema, lambda: import_services.is_being_processed(ready)), 30)
        holder = threading.Thread(target=worker_finishing_the_check, args=(job.pk,))
        holder.start()
        try:
            assert held.wait(30)
            committed(schema, lambda: import_services.confirm_import(actor=ready.created_by, job=ready))
            wait_until(lambda: retries_logged(names, queue, "orgdata.tasks.run_import"), 60, 0.2)
            assert _job(schema, job.pk).status == ImportJob.Status.QUEUED
        finally:
            release.set()
            holder.join(30)
        finished = wait_until(lambda: (lambda j: j if j.is_finished else None)(_job(schema, job.pk)), 60, 0.2)
        wait_until(lambda: queue_is_drained(names, queue), 60, 0.5)

    assert (finished.status, finished.created_count) == (ImportJob.Status.SUCCEEDED, 2), finished.failure_reason
    with schema_context(schema):
        assert set(Employee.objects.filter(employee_number__startswith="H").values_list(
            "employee_number", flat=True)) == {"H001", "H002"}
