"""Celery tasks of the erasure engine: thin wrappers around erasure.services."""
from celery import shared_task
from django.db import transaction

from core.tasking import EnterpriseTask, PlatformTask
from erasure import enterprise, services


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def run_erasure_job(job_id: int) -> str:
    """Run the job's remaining steps (idempotent: a finished job is left as it is)."""
    return services.run_erasure_job(job_id=job_id).status


@shared_task(base=EnterpriseTask)
def recover_erasure_jobs() -> int:
    """Periodic (settings.CELERY_BEAT_SCHEDULE): finish the jobs a killed worker left unfinished."""
    return services.recover_erasure_jobs(actor=services.ERASURE_RECOVERY)


@shared_task(base=PlatformTask)
def run_enterprise_lifecycle() -> dict:
    """Periodic (settings.CELERY_BEAT_SCHEDULE), E9/E10: warn unpaid enterprises, schedule the
    cancellations a ceased service calls for, start (or resume) every cancellation whose grace
    period has ended, and drop the legal-hold archives whose retention has ended."""
    actor = enterprise.ENTERPRISE_LIFECYCLE
    warned = enterprise.warn_unpaid_enterprises(actor=actor)
    scheduled = enterprise.schedule_cessation_cancellations(actor=actor, cessation_ends=enterprise.cessation_ends())
    due = enterprise.due_cancellations()
    for cancellation_id in due:
        transaction.on_commit(lambda cancellation_id=cancellation_id: run_enterprise_cancellation.delay(cancellation_id))
    dropped = enterprise.drop_expired_archives(actor=actor)
    return {"warned": warned, "scheduled": scheduled, "started": len(due), "archives_dropped": dropped}


@shared_task(base=PlatformTask, acks_late=True, reject_on_worker_lost=True)
def run_enterprise_cancellation(cancellation_id: int) -> str:
    """E9: run one cancellation's remaining steps (resumable, idempotent)."""
    cancellation = enterprise.run_cancellation(cancellation_id=cancellation_id)
    return "cancelled" if cancellation.finished_at else "in progress"

@shared_task(base=EnterpriseTask)
def erase_leavers_past_retention() -> int:
    """Periodic (settings.CELERY_BEAT_SCHEDULE): issue 12 §3, leavers erased once their employment
    record's retention ends; returns how many erasure jobs were started."""
    return len(services.erase_leavers_past_retention(actor=services.RETENTION_END))
