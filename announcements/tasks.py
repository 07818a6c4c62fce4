"""Celery tasks of announcements: thin wrappers around announcements.services."""
from celery import shared_task

from announcements import services
from announcements.models import Announcement
from core.tasking import EnterpriseTask


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def deliver_announcement(announcement_id: int) -> int:
    """Deliver an announcement with a large audience (idempotent: run again, it goes on where it stopped)."""
    return services.deliver_announcement(actor=services.ANNOUNCEMENT_DELIVERY,
                                         announcement=Announcement.objects.get(pk=announcement_id))


@shared_task(base=EnterpriseTask)
def retry_due_pushes() -> int:
    """Periodic (every minute): push again the refused pushes that are due."""
    return services.retry_due_pushes(actor=services.ANNOUNCEMENT_DELIVERY)
