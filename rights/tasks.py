"""Celery tasks of rights requests: thin wrappers around rights.services."""
from celery import shared_task

from core.tasking import EnterpriseTask
from rights import cleanup, services
from rights.models import RightsRequest


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def build_copy(request_id: int) -> str:
    """R2: build the person's copy (or the information generated in use) and tell them."""
    request = services.finish_copy(actor=services.RIGHTS_FULFILMENT, request=RightsRequest.objects.get(pk=request_id))
    return request.status


@shared_task(base=EnterpriseTask)
def watch_deadlines() -> dict:
    """Periodic (settings.CELERY_BEAT_SCHEDULE): finish requests whose erasure is done, escalate
    requests near or past their due date (dates estimated without the official calendar recounted
    first, once it covers them), delete downloadable results past their expiry, build
    copies whose task was lost."""
    finished = services.finish_erasures(actor=services.RIGHTS_FULFILMENT)
    cleanup.delete_expired_results(actor=cleanup.RESULT_CLEANUP)
    recounted = services.recount_estimated_dates(actor=services.DEADLINE_WATCH)
    escalated = services.escalate_due_requests(actor=services.DEADLINE_WATCH)
    for request_id in services.copies_waiting():
        build_copy.delay(request_id)
    return {"finished": finished, "escalated": escalated, "recounted": recounted}
