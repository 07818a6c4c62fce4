"""Celery tasks of the organisation data: thin wrappers around the import and export services."""
from celery import shared_task

from core.tasking import EnterpriseTask
from orgdata.services import exports as export_services
from orgdata.services.imports import jobs as import_services


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(import_services.ImportBusy,), retry_backoff=1, retry_backoff_max=10, max_retries=20)
def run_import(job_id: int, attempt: int) -> str:
    """Process one import attempt (idempotent: a repeated delivery of a finished attempt is a no-op;
    one that finds another worker on the job while the attempt still waits is tried again)."""
    job = import_services.run_import(job_id=job_id, attempt=attempt)
    return job.status if job else "missing"


@shared_task(base=EnterpriseTask)
def recover_abandoned_imports() -> dict:
    """Periodic (see settings.CELERY_BEAT_SCHEDULE): fail imports whose worker died while reading the
    file, retry once those that died after reading it, send again those whose message was lost."""
    return import_services.recover_abandoned_imports()


@shared_task(base=EnterpriseTask, acks_late=True)
def run_export(job_id: int) -> str:
    """Write one queued export's file (a repeated delivery finds the job taken and does nothing)."""
    job = export_services.run_export(job_id=job_id)
    return job.status if job else "missing"


@shared_task(base=EnterpriseTask)
def expire_transfer_files() -> dict:
    """Periodic (see settings.CELERY_BEAT_SCHEDULE): delete export files past their short retention,
    fail exports whose worker died, cancel imports left unconfirmed (deleting their uploads)."""
    return {**export_services.expire_exports(), "unconfirmed_imports": import_services.cancel_unconfirmed_imports()}
