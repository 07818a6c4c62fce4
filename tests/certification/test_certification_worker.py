"""E4 with a real Celery worker: the submission's commit queues the document check (a platform task,
sent from the public schema), and the worker checks, cleans and re-seals the documents."""
from __future__ import annotations

import time

import pytest

from accounts.models import User
from certification import services
from certification.models import CertificationEvent, Document, Submission
from privacy.models import PersonKey
from tests.certification import factories
from tests.committing import committed

pytestmark = pytest.mark.usefixtures("celery_worker")


def _forget(submission_id: int) -> None:
    # Committed rows of the platform's schema: removed so that enterprise A has no open case after.
    submission = Submission.objects.get(pk=submission_id)
    CertificationEvent.objects.filter(submission=submission).delete()
    Document.objects.filter(submission=submission).delete()
    submission.delete()
    # Raw: the ORM's cascade would look for referring rows in enterprise-only tables.
    PersonKey.objects.filter(pk=submission.person_key_id)._raw_delete(using="default")


@pytest.mark.promise("E4")
def test_the_worker_checks_the_documents_once_the_submission_commits(enterprises):
    def submit():
        manager = User.objects.get(role=User.Role.MANAGER)
        return services.submit_certification(actor=manager, values={
            "certificate_type": "business_licence", "uscc": factories.USCC, "enterprise_name": "Alpha Test Co",
            "enterprise_address": "上海市", "legal_representative_name": "张三",
            "legal_representative_id_number": factories.LEGAL_REPRESENTATIVE_ID,
        }, uploads={"licence": factories.upload("licence.jpg", factories.jpeg_with_exif()),
                    "letter": factories.upload("letter.pdf", factories.pdf_with_metadata())})

    submission = committed(enterprises.a.schema_name, submit)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = committed("public", lambda: Submission.objects.get(pk=submission.pk).status)
            if status != Submission.Status.CHECKING:
                break
            time.sleep(0.2)
        assert status == Submission.Status.PENDING
        checked = committed("public", lambda: sorted(Document.objects.filter(submission_id=submission.pk)
                                                     .values_list("kind", "status", "content_type")))
        assert checked == [("letter", "accepted", "application/pdf"), ("licence", "accepted", "image/jpeg")]
        steps = committed("public", lambda: list(CertificationEvent.objects.filter(submission_id=submission.pk)
                                                 .values_list("event", "actor")))
        assert steps == [("submitted", steps[0][1]), ("documents_checked", f"system:{services.DOCUMENT_CHECK.name}")]
    finally:
        committed("public", lambda: _forget(submission.pk))
