"""Celery tasks of the organisation data: thin wrappers around orgdata.services.imports.jobs."""
from celery import shared_task

from core.tasking import EnterpriseTask
from orgdata.services.imports import jobs as import_services


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def run_import(job_id: int, attempt: int) -> str:
    """Process one import attempt (idempotent: a repeated delivery of a finished attempt is a no-op)."""
    job = import_services.run_import(job_id=job_id, attempt=attempt)
    return job.status if job else "missing"


@shared_task(base=EnterpriseTask)
def recover_abandoned_imports() -> dict:
    """Periodic (see settings.CELERY_BEAT_SCHEDULE): fail imports whose worker died while reading the
    file, retry once those that died after reading it, send again those whose message was lost."""
    return import_services.recover_abandoned_imports()
