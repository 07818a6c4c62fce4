"""Celery tasks of attendance: thin wrappers around its services."""
from celery import shared_task

from attendance import services
from core.tasking import EnterpriseTask


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def compute_face_embedding(enrolment_id: int) -> str:
    """A2: compute an enrolment photo's face embedding, then discard the photo (unless kept)."""
    return services.compute_face_embedding(actor=services.FACE_ENROLMENT, enrolment_id=enrolment_id)


# Not acks_late: a photo that crashes the worker child is dropped, not handed to the next child;
# the check-in waiting for it answers 503 `try_again` (services.FACE_CHECK_TIMEOUT_SECONDS).
@shared_task(base=EnterpriseTask, acks_late=False)
def compute_check_in_embedding(photo_content: str) -> dict:
    """A2: the face embedding of a check-in photo, computed here rather than in the web request."""
    return services.check_in_embedding(actor=services.FACE_CHECK, photo_content=photo_content)
