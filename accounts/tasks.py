from celery import shared_task

from accounts import selectors, services
from core.tasking import EnterpriseTask


@shared_task(base=EnterpriseTask, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def purge_expired_device_tokens() -> int:
    """Periodic, per enterprise: drop tokens that can no longer authenticate (idempotent)."""
    return services.purge_expired_device_tokens(actor=services.TOKEN_PURGE)


@shared_task(base=EnterpriseTask)
def enterprise_headcount() -> dict:
    """How many active accounts the enterprise of the sending schema has (used by /healthz-style
    checks), small counts suppressed (S3: "<5")."""
    return selectors.headcount()


@shared_task(base=EnterpriseTask, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def purge_verification_records() -> int:
    """Periodic, per enterprise: drop one-time codes older than a day and outbox messages past
    their retention (idempotent)."""
    return services.purge_verification_records(actor=services.VERIFICATION_PURGE)
