"""Field work (A1): the enterprise's customers, visits to them, and daily/weekly reports.

A position (GPS) is sensitive (C2): stored encrypted under the person's key, shown masked, and
recorded only with location consent (device.location, asked by fieldwork.services through
consent.gate); without it the person types the place. A visit photo needs camera consent
(device.camera). Visits, reports and their files are business records of the person's work: kept
as transaction records (X4, like attendance), erased with the person (R4).
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedJSONField, EncryptedTextField, PersonKeyField
from privacy.registry import PI, Category, Erasure, Mask, RetentionClass, personal_data

_IMAGE_EXTENSIONS = frozenset(("png", "jpg"))
_ATTACHMENT_EXTENSIONS = frozenset(("png", "jpg", "pdf"))


def _private_upload_path(kind: str, filename: str, extensions: frozenset[str]) -> str:
    # As orgdata's uploads: namespaced by enterprise schema, named by a random id (a file name
    # reveals nothing about its owner), with an extension the service checked the content to be.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in extensions:
        extension = "bin"
    return f"{connection.schema_name}/fieldwork/{kind}/{uuid.uuid4().hex}.{extension}"


def visit_photo_path(instance, filename: str) -> str:
    return _private_upload_path("visit-photos", filename, _IMAGE_EXTENSIONS)


def report_attachment_path(instance, filename: str) -> str:
    return _private_upload_path("report-attachments", filename, _ATTACHMENT_EXTENSIONS)


def _gps(note: str, *, starts: str) -> PI:
    # A1, C2: a position is whereabouts, recorded only with location consent.
    return PI(Category.SENSITIVE, purpose="device.location", retention=RetentionClass.TRANSACTION,
              retention_starts=starts, erasure=Erasure.CRYPTO_SHRED, mask=Mask.LOCATION, note=note)


class UploadCheck(models.TextChoices):
    # Never decoded in a web request: an image waits, as uploaded, until a worker re-encodes it
    # without metadata (fieldwork.services.check_upload); only a ready file is ever shown.
    PENDING = "pending", _("being checked")
    READY = "ready", _("ready")
    REFUSED = "refused", _("refused")


_CHECK_NOT_PERSONAL = {
    "status": "whether the worker has checked the file yet (pending, ready, refused)",
    "refusal": "the fixed message saying why the worker refused the file",
}


def _work_record(note: str, *, starts: str, purpose: str = "field_work") -> PI:
    # X4 (Q 2(2)3): records of the person's work are transaction records, kept 3 years from the
    # record and then deleted by the retention job; erasing the person before destroys their key.
    return PI(Category.BASIC, purpose=purpose, retention=RetentionClass.TRANSACTION, retention_starts=starts,
              erasure=Erasure.CRYPTO_SHRED, note=note)


@personal_data(
    subject=None, fields={},
    actor_links={"created_by": "the administrator who added the customer"},
    not_personal={
        "name": "the customer's business name (customers are organisations the staff visit)",
        "address": "the customer's business address",
    },
)
class Customer(models.Model):
    """A customer the enterprise's field staff visit; kept by administrators, each in a department
    (a sub-administrator keeps the customers of their departments, like their employees)."""

    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    department = models.ForeignKey("orgdata.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("department"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [models.UniqueConstraint(fields=["name"], name="fieldwork_customer_unique_name")]

    def __str__(self):
        return self.name


@personal_data(
    subject="person",
    fields={
        "check_in_location": _gps("A1: GPS at check-in, only with location consent", starts="checked_in_at"),
        "check_in_place": _work_record("A1: the place typed instead of GPS", starts="checked_in_at"),
        "check_out_location": _gps("A1: GPS at check-out, only with location consent", starts="checked_in_at"),
        "check_out_place": _work_record("A1: the place typed at check-out", starts="checked_in_at"),
        "note": _work_record("what the person noted about the visit", starts="checked_in_at"),
    },
    not_personal={"customer": "the customer visited (an organisation)"},
)
class Visit(models.Model):
    """One visit of `person` to a customer: checked in, then checked out."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()
    customer = models.ForeignKey(Customer, db_index=False, on_delete=models.PROTECT, related_name="visits")
    checked_in_at = models.DateTimeField(_("checked in"))
    check_in_location = EncryptedJSONField(_("check-in location"), null=True, blank=True)
    check_in_place = EncryptedTextField(_("check-in place"))
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    check_out_location = EncryptedJSONField(_("check-out location"), null=True, blank=True)
    check_out_place = EncryptedTextField(_("check-out place"))
    note = EncryptedTextField(_("note"))

    class Meta:
        ordering = ["-checked_in_at", "-id"]
        indexes = [models.Index(fields=["person", "-checked_in_at"], name="visit_person_time"),
                   models.Index(fields=["customer", "-checked_in_at"], name="visit_customer_time")]


@personal_data(
    subject="person",
    fields={
        "image": PI(Category.BASIC, purpose="device.camera", retention=RetentionClass.TRANSACTION,
                    retention_starts="taken_at", erasure=Erasure.DELETE,
                    note="A1/C3: a photo taken at the visit, only with camera consent; metadata (EXIF GPS) removed"),
    },
    not_personal={"visit": "the visit the photo belongs to (its own row declares the person)",
                  **_CHECK_NOT_PERSONAL},
)
class VisitPhoto(models.Model):
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=visit_photo_path, max_length=200)
    taken_at = models.DateTimeField(_("uploaded"))
    status = models.CharField(_("status"), max_length=8, choices=UploadCheck.choices, default=UploadCheck.PENDING)
    refusal = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["taken_at", "id"]


@personal_data(
    subject="person",
    fields={
        "body": _work_record("the report's text", starts="submitted_at"),
        "figures": _work_record("the report's figures (label → number)", starts="submitted_at"),
        "location": _gps("A1: where the report was made, only with location consent", starts="submitted_at"),
        "place": _work_record("A1: the place typed instead of GPS", starts="submitted_at"),
    },
)
class Report(models.Model):
    """A daily or weekly work report of `person` (one per kind and period)."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily report")
        WEEKLY = "weekly", _("Weekly report")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    period_start = models.DateField(_("period"))
    submitted_at = models.DateTimeField(_("submitted"))
    body = EncryptedTextField(_("text"))
    figures = EncryptedJSONField(_("figures"), null=True, blank=True)
    location = EncryptedJSONField(_("location"), null=True, blank=True)
    place = EncryptedTextField(_("place"))

    class Meta:
        ordering = ["-period_start", "-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "kind", "period_start"],
                                               name="fieldwork_report_one_per_period")]
        indexes = [models.Index(fields=["-period_start", "kind"], name="report_period_kind")]


@personal_data(
    subject="person",
    fields={
        "file": PI(Category.BASIC, purpose="field_work", retention=RetentionClass.TRANSACTION,
                   retention_starts="uploaded_at", erasure=Erasure.DELETE,
                   note="a file attached to a report (PNG, JPEG or PDF, checked by content)"),
    },
    not_personal={"report": "the report the file belongs to (its own row declares the person)",
                  **_CHECK_NOT_PERSONAL},
)
class ReportAttachment(models.Model):
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=report_attachment_path, max_length=200)
    uploaded_at = models.DateTimeField(_("uploaded"))
    status = models.CharField(_("status"), max_length=8, choices=UploadCheck.choices, default=UploadCheck.PENDING)
    refusal = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
