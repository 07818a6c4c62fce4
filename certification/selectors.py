"""Reads of enterprise certification (E4). The tables live in the public schema; every read of an
encrypted value runs there (`in_public`), where the enterprise's certification key is."""
from __future__ import annotations

from django.db import connection
from django.db.models import Case, IntegerField, Value, When
from django_tenants.utils import get_public_schema_name, schema_context

from access.capabilities import Capability, require
from access.errors import NotInYourScope
from certification.models import CertificationEvent, Document, Submission
from privacy.disclosure import shown_value
from tenants.models import Enterprise


def in_public():
    """The public schema, where the certification tables and their data key are."""
    return schema_context(get_public_schema_name())


def current_enterprise_id() -> int | None:
    """The id of the enterprise whose schema the connection is on (None on the platform host)."""
    schema = connection.schema_name  # read before switching to the public schema
    if schema == get_public_schema_name():
        return None
    with in_public():
        return Enterprise.objects.filter(schema_name=schema).values_list("pk", flat=True).first()


def current_enterprise_is_certified() -> bool:
    """E4: whether the enterprise of the current schema is certified (the certification resolver
    orgdata asks before switching on an application reserved to certified enterprises)."""
    schema = connection.schema_name  # read before switching to the public schema
    if schema == get_public_schema_name():
        return False
    with in_public():
        return Submission.objects.filter(enterprise__schema_name=schema, status=Submission.Status.APPROVED).exists()


def submissions_of(*, viewer, enterprise_id: int) -> list[Submission]:
    """Every submission of the enterprise, newest first, with its documents and history loaded
    (values decrypted in the public schema). The manager's console and support's review read it."""
    require(viewer, Capability.SEE_CERTIFICATION_DOCUMENTS)
    with in_public():
        submissions = list(Submission.objects.filter(enterprise_id=enterprise_id))
        for submission in submissions:
            # The sealed bytes stay in the database: the page lists documents, it does not open them.
            submission.document_list = list(Document.objects.filter(submission=submission).defer("content"))
            submission.event_list = list(CertificationEvent.objects.filter(submission=submission))
            # C2: the legal representative's ID number as every surface shows it (masked), to be marked.
            submission.legal_representative_id_shown = shown_value(
                viewer=viewer, instance=submission, field="legal_representative_id_number")
    return submissions


def document_for(*, viewer, document_id: int, enterprise_id: int | None) -> Document:
    """A document `viewer` may open: the manager's own enterprise's (`enterprise_id`), any for
    support reviewing (None). Absent, another enterprise's or not yet checked: NotInYourScope (404)."""
    require(viewer, Capability.SEE_CERTIFICATION_DOCUMENTS)
    with in_public():
        documents = Document.objects.select_related("submission__enterprise").filter(
            pk=document_id, status=Document.Status.ACCEPTED)
        if enterprise_id is not None:
            documents = documents.filter(submission__enterprise_id=enterprise_id)
        document = documents.first()
    if document is None:
        raise NotInYourScope()
    return document


def review_queue():
    """Support's queue: every enterprise's submissions, those waiting for review first, oldest first."""
    return Submission.objects.select_related("enterprise").annotate(
        waiting=Case(When(status=Submission.Status.PENDING, then=Value(0)), default=Value(1),
                     output_field=IntegerField())).order_by("waiting", "submitted_at")
