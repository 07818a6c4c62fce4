from celery import shared_task
from django.db import OperationalError

from core.tasking import EnterpriseTask


@shared_task(base=EnterpriseTask, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def apply_retention() -> dict:
    """S2, once a day per enterprise: drop or delete what has outlived its retention period."""
    from audit import services

    return services.apply_retention(actor=services.RETENTION)


@shared_task(base=EnterpriseTask, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def ensure_log_partitions() -> list[str]:
    """Create the coming months' log partitions ahead of time."""
    from audit import services

    return services.ensure_log_partitions(actor=services.LOG_PARTITIONING)


@shared_task(base=EnterpriseTask, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def record_chain_checkpoint() -> int | None:
    """X4, every ten minutes per enterprise: sign the audit chain's head into the public schema."""
    from audit import services

    checkpoint = services.record_chain_checkpoint(actor=services.CHAIN_CHECKPOINTING)
    return checkpoint.head_id if checkpoint else None
