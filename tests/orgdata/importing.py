"""Running a queued import in the test's own transaction.

The console and start_import only store and queue an upload; the worker runs
`orgdata.services.imports.jobs.run_import`. Tests of the import's rules use uncommitted fixtures
that a worker process cannot see, so they call the very function the worker calls, in-process.
The path console → queue → real worker is proven in test_import_limits.py and
test_import_worker.py; upload → preview → confirm in Chromium in test_import_preview_browser.py.
"""
from orgdata.models import ImportJob
from orgdata.services.imports import jobs as import_services


def checked(job: ImportJob) -> ImportJob:
    """The worker's first pass: the file checked, the job READY with its preview (or rejected)."""
    assert job.status == ImportJob.Status.QUEUED, "start_import must only queue"
    return import_services.run_import(job_id=job.pk, attempt=job.attempt)


def processed(job: ImportJob, *, create_new_values: bool = True) -> ImportJob:
    """The whole import as an administrator runs it: checked, its preview confirmed by the
    uploader (choosing to create the new positions and job levels it lists, unless told not to),
    and written. A job that does not reach the preview is returned as the check left it."""
    job = checked(job)
    if job.status != ImportJob.Status.READY:
        return job
    job = import_services.confirm_import(actor=job.created_by, job=job, create_new_values=create_new_values
                                         and bool(job.preview["new_positions"] or job.preview["new_job_levels"]))
    return import_services.run_import(job_id=job.pk, attempt=job.attempt)
