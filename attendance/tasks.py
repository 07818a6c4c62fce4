"""Celery tasks of attendance: thin wrappers around its services."""
from celery import shared_task

from attendance import services
from core.tasking import EnterpriseTask


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def compute_face_embedding(enrolment_id: int) -> str:
    """A2: compute an enrolment photo's face embedding, then discard the photo (unless kept)."""
    return services.compute_face_embedding(actor=services.FACE_ENROLMENT, enrolment_id=enrolment_id)
