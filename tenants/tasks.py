from celery import current_app, shared_task
from django_tenants.utils import schema_context

from core.schemas import enterprise_schema_names
from core.tasking import PlatformTask


@shared_task(base=PlatformTask)
def run_for_ready_enterprises(task_name: str) -> int:
    """Beat's one entry point for periodic work: send `task_name` once to each ready enterprise.

    Enterprises still being provisioned or being cancelled are skipped here, and the enterprise
    task re-checks when it runs. Returns how many enterprises it was sent to.
    """
    sent = 0
    # Nobody reads these results: storing them would keep one Redis key per enterprise per run
    # for an hour (10,000 enterprises: 600,000 keys for each task beat sends every minute), and
    # outside a worker each send would also subscribe to its result.
    with current_app.producer_or_acquire() as producer:
        for schema_name in enterprise_schema_names(ready_for_periodic_work=True):
            with schema_context(schema_name):
                current_app.send_task(task_name, ignore_result=True, producer=producer)
            sent += 1
    return sent


@shared_task(base=PlatformTask, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def replenish_spare_schemas() -> int:
    """Keep the pool of ready enterprise schemas full (after each claim, and periodically)."""
    from tenants import services

    return services.replenish_spare_schemas()


@shared_task(base=PlatformTask)
def purge_abandoned_registrations() -> int:
    """E1: delete the stand-in accounts of registrations not finished within a day."""
    from tenants import registration

    return registration.purge_abandoned_registrations(actor=registration.REGISTRATION_PURGE)
