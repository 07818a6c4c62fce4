"""Enterprise certification (E4): the manager submits, the worker checks the documents, platform
support approves or rejects, and the manager resubmits after a rejection.

Every step writes a CertificationEvent (the case's history, public schema: support reads it in the
Django admin, and it outlives the enterprise's schema) and an entry in the enterprise's own audit
log, including each time a document is opened and by whom. Locks: the enterprise's row first,
then the submission (the platform's lock order: enterprise before anything about it).
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from access.actors import SystemActor, is_system_actor
from access.actors import label as actor_label
from access.capabilities import Capability, may, require
from accounts.validators import clean_name_text
from audit import recording
from audit.context import acting_as_platform_staff
from certification import documents
from certification.errors import CertificationCaseOpen, NotReviewable
from certification.models import CertificationEvent, Document, Submission
from certification.selectors import in_public
from orgdata.validators import normalize_resident_id, normalize_uscc
from privacy import keys
from tenants.models import Enterprise

# The worker that checks, cleans and re-seals the uploaded documents.
DOCUMENT_CHECK = SystemActor("certification document check")
MAX_REASON_LENGTH = 1000


def _event(submission: Submission, event: str, actor, **detail) -> None:
    CertificationEvent.objects.create(enterprise_id=submission.enterprise_id, submission=submission, event=event,
                                      actor=actor_label(actor), detail=detail)


def _in_enterprise_log(enterprise: Enterprise, *, action: str, object_id, actor=None) -> None:
    """The same step in the enterprise's own audit log (X4), while its schema exists; platform staff
    are recorded as themselves ("platform-staff:<id>"). Called inside the step's transaction, so the
    entry and the step commit together."""
    if not schema_exists(enterprise.schema_name):
        return
    with schema_context(enterprise.schema_name):
        if actor is not None and not is_system_actor(actor) and may(actor, Capability.USE_ADMIN_SITE):
            with acting_as_platform_staff(actor):
                recording.record_event(action=action, object_type="certification.submission", object_id=object_id)
        else:
            recording.record_event(action=action, object_type="certification.submission", object_id=object_id)


def _clean_values(values: dict, uploads: dict) -> tuple[dict, dict]:
    """The submitted values normalised and the uploads sniffed, or one ValidationError naming every
    bad field (nothing is stored when any is bad)."""
    errors, cleaned, sniffed = {}, {}, {}
    if values.get("certificate_type") not in Submission.CertificateType.values:
        errors["certificate_type"] = [_("Choose the certificate type.")]
    else:
        cleaned["certificate_type"] = values["certificate_type"]
    normalisers = {"uscc": normalize_uscc, "legal_representative_id_number": normalize_resident_id}
    for field, normalise in normalisers.items():
        try:
            cleaned[field] = normalise(values.get(field) or "")
        except ValidationError as error:
            errors[field] = error.messages
    for field, limit in (("enterprise_name", 200), ("enterprise_address", 300), ("legal_representative_name", 100)):
        text = clean_name_text(values.get(field))
        if not text:
            errors[field] = [_("This field is required.")]
        elif len(text) > limit:
            errors[field] = [_("Use at most %(limit)d characters.") % {"limit": limit}]
        else:
            cleaned[field] = text
    for kind in Document.Kind.values:
        try:
            sniffed[kind] = documents.sniff_upload(uploads.get(kind))
        except ValidationError as error:
            errors[kind] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned, sniffed


def submit_certification(*, actor, values: dict, uploads: dict) -> Submission:
    """E4: the manager submits the current enterprise's certification: certificate type, USCC
    (GB 32100), enterprise name and address, legal representative's name and ID number (GB 11643),
    the business-licence copy and the signed letter (`uploads["licence"]`, `uploads["letter"]`).

    The uploads are checked here by size and content only (PNG, JPEG or PDF; image dimensions by
    header) and stored sealed under the enterprise's certification key; the worker parses and
    cleans them after commit (`check_documents`). Refuses: anyone but the manager (NotPermitted);
    any bad value or file (ValidationError naming each field; nothing stored); a submission while
    another is checked or waits for review, or once the enterprise is certified
    (CertificationCaseOpen).
    """
    require(actor, Capability.APPLY_FOR_CERTIFICATION)
    cleaned, sniffed = _clean_values(values, uploads)
    schema = connection.schema_name
    # One transaction for the public rows and the enterprise's audit entry (one connection, two schemas).
    with transaction.atomic(), in_public():
        enterprise = Enterprise.objects.select_for_update().get(schema_name=schema)
        earlier = Submission.objects.filter(enterprise=enterprise)
        if earlier.filter(status__in=[Submission.Status.CHECKING, Submission.Status.PENDING,
                                      Submission.Status.APPROVED]).exists():
            raise CertificationCaseOpen(_("This enterprise is already certified or its certification is "
                                          "being reviewed; you can submit again only after a rejection."))
        # One key per enterprise's certification file: every submission and document shares it.
        key_id = earlier.filter(person_key__wrapped_key__isnull=False).values_list("person_key_id", flat=True).first()
        submission = Submission.objects.create(
            enterprise=enterprise, person_key_id=key_id or keys.issue_person_key().pk,
            submitted_by=actor_label(actor), **cleaned)
        for kind, upload in sniffed.items():
            Document.objects.create(submission=submission, person_key_id=submission.person_key_id, kind=kind,
                                    content_type=upload.content_type, size=len(upload.content), content=upload.content)
        _event(submission, "submitted", actor, resubmission=earlier.exclude(pk=submission.pk).exists())
        transaction.on_commit(lambda: _queue_check(submission.pk))
        _in_enterprise_log(enterprise, action="certification_submitted", object_id=submission.pk)
    return submission


def _queue_check(submission_id: int) -> None:
    from certification import tasks

    with in_public():  # a platform task: sent from (and stamped with) the public schema
        tasks.check_certification_documents.delay(submission_id)


def check_documents(*, actor, submission_id: int) -> Submission | None:
    """The worker's check of a submission's documents: each really parsed, images re-encoded without
    metadata, PDFs rewritten without it, then sealed again in place of the upload; a document
    that fails is refused with its reason (its upload deleted) and the submission is marked
    "documents refused" for the manager to submit again. Idempotent: a submission no longer being
    checked is left alone (returns None)."""
    with transaction.atomic(), in_public():
        submission = (Submission.objects.select_for_update().select_related("enterprise")
                      .filter(pk=submission_id, status=Submission.Status.CHECKING).first())
        if submission is None:
            return None
        refused = []
        for document in submission.documents.filter(status=Document.Status.UNCHECKED):
            try:
                cleaned = documents.clean(document.content, document.content_type)
            except documents.DocumentRefused as refusal:
                document.status, document.refusal, document.content, document.size = (
                    Document.Status.REFUSED, refusal.reason, None, 0)
                refused.append(document.kind)
            else:
                document.status, document.content_type, document.size = (
                    Document.Status.ACCEPTED, cleaned.content_type, len(cleaned.content))
                document.pixel_width, document.pixel_height, document.pages = cleaned.width, cleaned.height, cleaned.pages
                document.content = cleaned.content
            document.checked_at = timezone.now()
            document.save()
        submission.status = Submission.Status.DOCUMENTS_REFUSED if refused else Submission.Status.PENDING
        submission.save(update_fields=["status"])
        _event(submission, "documents_refused" if refused else "documents_checked", actor, refused=refused)
        _in_enterprise_log(submission.enterprise, action="certification_documents_checked", object_id=submission.pk)
    return submission


def _decide(actor, submission: Submission, status: str, reason: str = "") -> Submission:
    require(actor, Capability.REVIEW_CERTIFICATION)
    with transaction.atomic(), in_public():
        Enterprise.objects.select_for_update().get(pk=submission.enterprise_id)
        submission = Submission.objects.select_for_update().select_related("enterprise").get(pk=submission.pk)
        if submission.status != Submission.Status.PENDING:
            raise NotReviewable(_("Only a submission waiting for review can be approved or rejected."))
        submission.status, submission.rejection_reason = status, reason
        submission.reviewed_at, submission.reviewed_by = timezone.now(), actor_label(actor)
        submission.save(update_fields=["status", "rejection_reason", "reviewed_at", "reviewed_by"])
        _event(submission, status, actor)
        _in_enterprise_log(submission.enterprise, action=f"certification_{status}", object_id=submission.pk,
                           actor=actor)
    return submission


def approve(*, actor, submission: Submission) -> Submission:
    """E4: platform support certifies the enterprise: the certified mark shows in its console and
    the applications reserved to certified enterprises (e-signature) can be switched on. Refuses
    staff without the review permission (NotPermitted) and a submission not waiting for review
    (NotReviewable)."""
    return _decide(actor, submission, Submission.Status.APPROVED)


def reject(*, actor, submission: Submission, reason: str) -> Submission:
    """E4: platform support rejects the submission with a reason the manager reads in the console,
    who may then submit again. Refuses an empty reason (ValidationError on `reason`), and what
    `approve` refuses."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("Say why, so that the manager can correct it.")]})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": [_("Use at most %(limit)d characters.") % {"limit": MAX_REASON_LENGTH}]})
    return _decide(actor, submission, Submission.Status.REJECTED, reason)


def open_document(*, actor, document: Document) -> bytes:
    """The cleaned document's bytes for `actor` (its enterprise's manager, or support reviewing),
    recorded in the case's history and the enterprise's audit log (E4: every view is audited).
    The caller found the document through `selectors.document_for`, which applies the scope."""
    require(actor, Capability.SEE_CERTIFICATION_DOCUMENTS)
    with transaction.atomic(), in_public():
        content = Document.objects.only("content").get(pk=document.pk).content
        _event(document.submission, "document_viewed", actor, document=document.kind)
        _in_enterprise_log(document.submission.enterprise, action="certification_document_viewed",
                           object_id=document.submission_id, actor=actor)
    return content


def shred_certification_file(*, actor, enterprise: Enterprise) -> int:
    """E9/R4: the enterprise is cancelled: destroy its certification key, so the legal
    representative's name and ID number and both documents of every submission become unreadable
    at once (crypto-shredding). The case's record stays (status, dates, USCC, who decided, history).
    Called by the cancellation engine (erasure.enterprise) from the public schema. Idempotent;
    returns how many keys were destroyed."""
    with in_public(), transaction.atomic():
        key_ids = set(Submission.objects.filter(enterprise=enterprise, person_key__wrapped_key__isnull=False)
                      .values_list("person_key_id", flat=True))
        for key_id in key_ids:
            keys.destroy_person_key(key_id)
        latest = Submission.objects.filter(enterprise=enterprise).first()
        if key_ids and latest is not None:
            _event(latest, "file_shredded", actor)
    return len(key_ids)
