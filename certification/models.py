"""Enterprise certification (E4): what the manager submits, the documents, and the case's history.

Kept in the public schema (the app is shared only): a submission is about the enterprise, a legal
entity, not about one of its people; platform support reviews every enterprise's cases in one
queue in the Django admin; and the case outlives the enterprise's schema (like the cancellation
records in tenants). The legal representative is a person but no account of the enterprise: their
name and ID number, and both documents (which show them), are encrypted under one data key per
enterprise (`person_key`, a privacy.PersonKey row in the public schema, shared by the enterprise's
submissions), so destroying that key shreds the whole certification file at once.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedBinaryField, EncryptedTextField, PersonKeyField
from privacy.registry import PI, Category, Erasure, Mask, personal_data
from tenants.models import Enterprise

_PURPOSE = "E4: certify the enterprise's identity before it gains certified rights (e.g. e-signature)"
_LEGAL_REPRESENTATIVE = ("the legal representative the submission names (no account of the enterprise: "
                         "its file is shredded with the enterprise's certification key)")


@personal_data(
    subject=None, person_reference=_LEGAL_REPRESENTATIVE,
    fields={
        "legal_representative_name": PI(Category.BASIC, purpose=_PURPOSE, erasure=Erasure.CRYPTO_SHRED,
                                        mask=Mask.NAME),
        "legal_representative_id_number": PI(Category.SENSITIVE, purpose=_PURPOSE, erasure=Erasure.CRYPTO_SHRED,
                                             mask=Mask.ID_NUMBER),
    },
    not_personal={
        "uscc": "the enterprise's unified social credit code, public in the national registry",
        "enterprise_name": "the enterprise's registered name",
        "enterprise_address": "the enterprise's registered address, not a person's",
        "submitted_by": "who submitted, as an actor label (user:<id> in the enterprise)",
        "reviewed_by": "who decided, as an actor label (staff:<id>)",
        "rejection_reason": "why support refused the submission: about the documents, never a copy of a value",
    },
)
class Submission(models.Model):
    """One submission of the enterprise's certification; a resubmission after a rejection is a new
    row, so every earlier one stays in the history."""

    class CertificateType(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("Business licence")
        INSTITUTION = "public_institution", _("Public institution legal person certificate")
        SOCIAL_ORGANISATION = "social_organisation", _("Social organisation registration certificate")
        OTHER = "other", _("Other registration certificate with a unified social credit code")

    class Status(models.TextChoices):
        CHECKING = "checking", _("Documents being checked")
        DOCUMENTS_REFUSED = "documents_refused", _("Documents refused")
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Certified")
        REJECTED = "rejected", _("Rejected")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="certification_submissions")
    person_key = PersonKeyField()
    certificate_type = models.CharField(_("certificate type"), max_length=30, choices=CertificateType.choices)
    uscc = models.CharField(_("unified social credit code"), max_length=18)
    enterprise_name = models.CharField(_("enterprise name"), max_length=200)
    enterprise_address = models.CharField(_("registered address"), max_length=300)
    legal_representative_name = EncryptedTextField(_("legal representative"))
    legal_representative_id_number = EncryptedTextField(_("legal representative's ID number"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CHECKING)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    submitted_by = models.CharField(_("submitted by"), max_length=80)
    reviewed_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reviewed_by = models.CharField(_("decided by"), max_length=80, blank=True)
    rejection_reason = models.TextField(_("reason for the rejection"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("certification submission")
        verbose_name_plural = _("certification submissions")
        permissions = [("review_certification", _("Review enterprise certifications"))]
        constraints = [
            # One case open at a time: a new submission waits until the last one is decided.
            models.UniqueConstraint(fields=["enterprise"], condition=models.Q(status__in=["checking", "pending"]),
                                    name="one_open_certification_per_enterprise"),
        ]

    def __str__(self):
        return f"{self.enterprise_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.PENDING)


@personal_data(
    subject=None, person_reference=_LEGAL_REPRESENTATIVE,
    fields={"content": PI(Category.SENSITIVE, purpose=_PURPOSE, erasure=Erasure.CRYPTO_SHRED, mask=Mask.HIDDEN,
                          note="the licence copy or signed letter, sealed under the enterprise's certification key; "
                               "images re-encoded without metadata, PDFs rewritten without it")},
    not_personal={"refusal": "why the document check refused the file (a reason code's message)",
                  "content_type": "the type the check found by content",
                  "pixel_width": "the image's size", "pixel_height": "the image's size"},
)
class Document(models.Model):
    """One uploaded document of a submission. Stored sealed as uploaded until the worker's check,
    which replaces it with the cleaned copy (or deletes it and records why it was refused)."""

    class Kind(models.TextChoices):
        LICENCE = "licence", _("Business licence copy")
        LETTER = "letter", _("Signed certification letter")

    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("Being checked")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="documents")
    person_key = PersonKeyField()
    kind = models.CharField(_("document"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("check"), max_length=10, choices=Status.choices, default=Status.UNCHECKED)
    content_type = models.CharField(_("type"), max_length=40, blank=True)
    size = models.PositiveIntegerField(_("bytes"), default=0)
    pixel_width = models.PositiveIntegerField(null=True, blank=True)
    pixel_height = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    refusal = models.CharField(_("why it was refused"), max_length=300, blank=True)
    content = EncryptedBinaryField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "kind"]
        verbose_name = _("certification document")
        verbose_name_plural = _("certification documents")
        constraints = [models.UniqueConstraint(fields=["submission", "kind"], name="one_document_of_each_kind")]

    def __str__(self):
        return self.get_kind_display()


@personal_data(subject=None, fields={}, reason="the steps of a certification case: who (an actor label), when, "
                                                "what; never a submitted value",
               not_personal={"actor": "an actor label (user:<id>, staff:<id>, system:<name>)",
                             "detail": "document kinds, statuses, reason codes; never a value"})
class CertificationEvent(models.Model):
    """The case's full history: submitted, each document checked, approved or rejected, and every
    time a document was opened and by whom (E4: audited). The platform's record; the enterprise's
    own audit log gets the same steps while its schema exists."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="certification_events")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=40)
    actor = models.CharField(max_length=80)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
