"""Celery tasks of enterprise certification (E4): thin wrappers over certification.services."""
from __future__ import annotations

from celery import shared_task

from certification import services
from core.tasking import PlatformTask


@shared_task(base=PlatformTask, acks_late=True, reject_on_worker_lost=True)
def check_certification_documents(submission_id: int) -> str:
    """Parse, clean and re-seal a submission's documents (the heavy part never runs in a request).
    Idempotent: a submission already checked is left alone."""
    submission = services.check_documents(actor=services.DOCUMENT_CHECK, submission_id=submission_id)
    return submission.status if submission is not None else "not_checking"
