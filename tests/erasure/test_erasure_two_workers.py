"""Issue 18: two Celery workers on one queue never erase a person twice, and a delivery that read
the job while another worker was finishing it does not reopen it (R5)."""
import threading

import pytest
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_context

from audit.models import AuditEntry
from erasure import services
from erasure.models import ErasureJob, ErasureStep
from erasure.tasks import run_erasure_job
from tests.committing import committed
from tests.erasure.test_erase_person import PRIVACY_REQUEST
from tests.orgdata.conftest import _own_enterprise, _retire
from tests.orgdata.factories import make_employee
from tests.workers import queue_is_drained, real_workers, received_by, wait_until

QUEUE_SUFFIX = "erasure-two-workers"


@pytest.fixture(scope="module")
def own_enterprise(session_enterprises, django_db_blocker):
    enterprise = _own_enterprise("erasure-two-workers", "Erasure two workers", "13744440003", django_db_blocker)
    yield enterprise
    _retire(enterprise, django_db_blocker)


@pytest.fixture(scope="module")
def workers(own_enterprise, django_db_blocker):
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-{QUEUE_SUFFIX}"
    with real_workers(2, queue, django_db_blocker) as names:
        yield queue, names


def _erased_once(schema, workers, name):
    queue, names = workers
    person = committed(schema, lambda: make_employee(name=name).account)
    job = committed(schema, lambda: services.erase_person(actor=PRIVACY_REQUEST, person=person,
                                                          reason="the person asked (two workers)"))
    # erase_person queued the job once on commit; the same message twice more at once.
    with schema_context(schema):
        for _ in range(2):
            run_erasure_job.apply_async((job.pk,), queue=queue)
    wait_until(lambda: committed(schema, lambda: ErasureJob.objects.get(pk=job.pk).status) == ErasureJob.Status.DONE, 60)
    wait_until(lambda: queue_is_drained(names, queue), 60, 0.5)
    return person, job


@pytest.mark.promise("R5")
def test_two_workers_given_the_same_erasure_three_times_erase_the_person_once(own_enterprise, workers):
    schema = own_enterprise.schema_name
    queue, names = workers
    person, job = _erased_once(schema, workers, "孙八")

    received = received_by(names, queue, "erasure.tasks.run_erasure_job")
    assert sum(received) >= 2 and all(received), received  # both took a copy (a third worker may have too)
    with schema_context(schema):
        steps = ErasureStep.objects.filter(job_id=job.pk)
        assert steps.count() == len(services.STEPS)
        assert set(steps.values_list("status", flat=True)) == {ErasureStep.Status.DONE}
        about_the_account = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(person.pk))
        # Closed once (is_active), anonymised once: a second run would have written each again.
        assert about_the_account.filter(action="update", changed_fields=["is_active"]).count() == 1
        assert about_the_account.filter(action="anonymise").count() == 1


@pytest.mark.promise("R5")
def test_a_delivery_that_read_the_job_while_another_worker_finished_it_leaves_it_done(own_enterprise, workers):
    schema = own_enterprise.schema_name
    queue, names = workers
    _person, job = _erased_once(schema, workers, "周九")
    # The job as another worker has it just before its last step commits: running, then done.
    committed(schema, lambda: ErasureJob.objects.filter(pk=job.pk).update(status=ErasureJob.Status.RUNNING))
    finishing, delivered = threading.Event(), threading.Event()

    def other_worker_finishing():
        try:
            with schema_context(schema), transaction.atomic():
                ErasureJob.objects.filter(pk=job.pk).update(status=ErasureJob.Status.DONE)
                finishing.set()
                delivered.wait(60)
                # Commit only once the delivery has read "running" and waits for this row.
                wait_until(_someone_waits_for_a_lock, 60, 0.1)
        finally:
            connection.close()

    other = threading.Thread(target=other_worker_finishing)
    other.start()
    try:
        finishing.wait(30)
        with schema_context(schema):
            run_erasure_job.apply_async((job.pk,), queue=queue)
        delivered.set()
    finally:
        other.join(90)
    wait_until(lambda: queue_is_drained(names, queue), 60, 0.5)

    assert committed(schema, lambda: ErasureJob.objects.get(pk=job.pk).status) == ErasureJob.Status.DONE


def _someone_waits_for_a_lock() -> bool:
    """Whether another session waits for a lock this one holds (asked of pg_locks, which is live;
    pg_stat_activity is read once per transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted"
                       " AND pg_backend_pid() = ANY (pg_blocking_pids(pid)))")
        return cursor.fetchone()[0]
