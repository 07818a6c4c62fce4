"""Running a queued import in the test's own transaction.

The console and start_import only store and queue an upload; the worker runs
`orgdata.services.imports.jobs.run_import`. Tests of the import's rules use uncommitted fixtures
that a worker process cannot see, so they call the very function the worker calls, in-process.
The path console → queue → real worker is proven in test_import_limits.py and
test_import_worker.py.
"""
from orgdata.models import ImportJob
from orgdata.services.imports import jobs as import_services


def processed(job: ImportJob) -> ImportJob:
    assert job.status == ImportJob.Status.QUEUED, "start_import must only queue"
    return import_services.run_import(job_id=job.pk, attempt=job.attempt)
