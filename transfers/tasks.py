"""Celery tasks of transfers to a new holder: thin wrappers around transfers.services."""
from celery import shared_task

from core.tasking import EnterpriseTask
from transfers import services
from transfers.models import HolderTransfer


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def tell_people_of_transfer(transfer_id: int) -> int:
    """C10: in the enterprise's schema, revise the changed purposes and tell every person."""
    return services.tell_people_of_transfer(actor=services.TRANSFER_NOTICE,
                                            transfer=HolderTransfer.objects.get(pk=transfer_id))
