from celery import current_app, shared_task
from django_tenants.utils import schema_context

from core.schemas import enterprise_schema_names
from core.tasking import PlatformTask


# Enterprises one worker sends a periodic task to in one go. Beyond it the sending is split into
# chunks that any worker takes: publishing costs about 0.8 ms a message on a quiet 2-core machine
# and over 2 ms on a busy one (bench/scale_routing.py), so 10,000 enterprises are 8 to 25 s of one
# worker's time unsplit, and 20 chunks spread over the workers.
FAN_OUT_CHUNK = 500


@shared_task(base=PlatformTask)
def run_for_ready_enterprises(task_name: str, chunk: int = FAN_OUT_CHUNK) -> int:
    """Beat's one entry point for periodic work: send `task_name` once to each ready enterprise.

    Enterprises still being provisioned or being cancelled are skipped here, and the enterprise
    task re-checks when it runs. More than `chunk` enterprises are handed out `chunk` at a time
    to `send_to_enterprises` tasks. Returns how many enterprises it was sent (or handed out) to.
    """
    schema_names = enterprise_schema_names(ready_for_periodic_work=True)
    if len(schema_names) <= chunk:
        return _send_to(task_name, schema_names)
    with current_app.producer_or_acquire() as producer:
        for start in range(0, len(schema_names), chunk):
            send_to_enterprises.apply_async((task_name, schema_names[start:start + chunk]), ignore_result=True,
                                            producer=producer)
    return len(schema_names)


@shared_task(base=PlatformTask)
def send_to_enterprises(task_name: str, schema_names: list[str]) -> int:
    """One chunk of run_for_ready_enterprises: send `task_name` to each of `schema_names`."""
    return _send_to(task_name, schema_names)


def _send_to(task_name: str, schema_names: list[str]) -> int:
    # Nobody reads these results: storing them would keep one Redis key per enterprise per run
    # for an hour (10,000 enterprises: 600,000 keys for each task beat sends every minute), and
    # outside a worker each send would also subscribe to its result.
    with current_app.producer_or_acquire() as producer:
        for schema_name in schema_names:
            with schema_context(schema_name):
                current_app.send_task(task_name, ignore_result=True, producer=producer)
    return len(schema_names)


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
