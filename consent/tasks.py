from celery import shared_task

from access.actors import SystemActor
from consent.services import deletion_notices
from consent.services import sharing as sharing_services
from core.tasking import EnterpriseTask


class NoticeNotDelivered(Exception):
    """The recipient did not answer 2xx yet: Celery retries with backoff (R3)."""


@shared_task(bind=True, base=EnterpriseTask, autoretry_for=(NoticeNotDelivered,), retry_backoff=2,
             retry_backoff_max=600, retry_jitter=True, max_retries=deletion_notices.MAX_ATTEMPTS - 1,
             runs_while_cancelling=True)
def deliver_deletion_notice(self, notice_id: int) -> str:
    """R3: deliver one deletion notice; retried until delivered or the last attempt (idempotent: a
    notice no longer queued is not sent again)."""
    status = deletion_notices.deliver_notice(notice_id=notice_id,
                                             is_last_attempt=self.request.retries >= self.max_retries)
    if status == "queued":
        raise NoticeNotDelivered(f"deletion notice {notice_id} not delivered yet")
    return status


@shared_task(base=EnterpriseTask)
def requeue_stuck_deletion_notices() -> int:
    """Periodic (settings.CELERY_BEAT_SCHEDULE), R3: deletion notices whose delivery message was
    lost are queued again; returns how many."""
    return len(deletion_notices.requeue_stuck_notices(actor=deletion_notices.NOTICE_SWEEP))


TRANSFER_WORKER = SystemActor("transfer to a partner")


@shared_task(base=EnterpriseTask)
def send_transfer(transfer_id: int) -> int:
    """C9/S1: send one queued transfer (consent.services.sharing.send_transfer); returns how many
    people's records were sent."""
    return sharing_services.send_transfer(actor=TRANSFER_WORKER, transfer_id=transfer_id).sent_count
