"""Celery tasks of field work: thin wrappers around its services."""
from celery import shared_task

from core.tasking import EnterpriseTask
from fieldwork import services


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def check_upload(kind: str, upload_id: int) -> str:
    """Re-encode a visit photo or report image without its metadata, or refuse it (never in a request)."""
    return services.check_upload(actor=services.UPLOAD_CHECK, kind=kind, upload_id=upload_id)
