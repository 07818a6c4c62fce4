"""Celery tasks of the erasure engine: thin wrappers around erasure.services."""
from celery import shared_task

from core.tasking import EnterpriseTask
from erasure import services


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def run_erasure_job(job_id: int) -> str:
    """Run the job's remaining steps (idempotent: a finished job is left as it is)."""
    return services.run_erasure_job(job_id=job_id).status


@shared_task(base=EnterpriseTask)
def recover_erasure_jobs() -> int:
    """Periodic (settings.CELERY_BEAT_SCHEDULE): finish the jobs a killed worker left unfinished."""
    return services.recover_erasure_jobs(actor=services.ERASURE_RECOVERY)


@shared_task(base=EnterpriseTask)
def erase_leavers_past_retention() -> int:
    """Periodic (settings.CELERY_BEAT_SCHEDULE): issue 12 §3, leavers erased once their employment
    record's retention ends; returns how many erasure jobs were started."""
    return len(services.erase_leavers_past_retention(actor=services.RETENTION_END))
