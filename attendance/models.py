"""Attendance records. Location is sensitive (C2): encrypted under the person's key, shown masked.

CheckIn.location, TrackingPing.location and FaceEnrolment.embedding are covered by consent purposes
(device.location, location_tracking, facial_recognition): consent.gate guards every save.
CheckIn.risk_signals is written only by the check-in service, which drops the device's report
unless the person granted device.installed_apps (X7: not refused, only not recorded). bulk_create, bulk_update
and QuerySet.update() would bypass that guard (no signals), so their manager
(consent.gate.GatedQuerySet) refuses them.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from consent.gate import GatedQuerySet
from privacy.fields import EncryptedJSONField, EncryptedTextField, PersonKeyField
from privacy.registry import PI, Category, Erasure, Mask, RetentionClass, personal_data


@personal_data(subject=None, fields={}, actor_links={"changed_by": "the administrator who last changed the switches"},
               not_personal={"keeps_face_base_photo": "the enterprise's choice, about nobody's photo in particular"})
class AttendanceSettings(models.Model):
    """The enterprise's switches (one row). C4: tracking on still needs each person's consent."""

    is_tracking_enabled = models.BooleanField(_("location tracking"), default=False)
    # A2: whether a person's base photo is kept (encrypted) after their face is enrolled; by default
    # it is discarded and only the embedding stays. The person is told which before enrolling.
    keeps_face_base_photo = models.BooleanField(_("keep base photos of facial check-in"), default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(auto_now=True)


@personal_data(
    subject="person",
    fields={
        # X4 (Q 2(2)3): attendance records are transaction records, kept 3 years from the check-in and
        # then deleted by the retention job (audit.retention derives the rule from here). Erasing
        # the person before that destroys their key: the values can no longer be read (R4).
        "location": PI(Category.SENSITIVE, purpose="device.location", retention=RetentionClass.TRANSACTION,
                       retention_starts="occurred_at", erasure=Erasure.CRYPTO_SHRED, mask=Mask.LOCATION,
                       note="A1: GPS, only with location consent"),
        "place": PI(Category.BASIC, purpose="attendance", retention=RetentionClass.TRANSACTION,
                    retention_starts="occurred_at", erasure=Erasure.CRYPTO_SHRED,
                    note="A1: the place the person typed instead of GPS"),
        "risk_signals": PI(Category.BASIC, purpose="device.installed_apps", retention=RetentionClass.TRANSACTION,
                           retention_starts="occurred_at", erasure=Erasure.CRYPTO_SHRED,
                           note="X7: what the device reported (a virtual-location app running), only with "
                                "the installed-app permission"),
    },
    not_personal={"face_check": "how the person was verified (a photo compared, or not enrolled); no face data"},
)
class CheckIn(models.Model):
    class Kind(models.TextChoices):
        CHECK_IN = "in", _("Check-in")
        CHECK_OUT = "out", _("Check-out")

    class FaceCheck(models.TextChoices):
        NONE = "", _("No photo")
        VERIFIED = "verified", _("Face verified")
        NOT_ENROLLED = "not_enrolled", _("Photo sent, no face enrolled")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("time"))
    location = EncryptedJSONField(_("location"), null=True, blank=True)
    place = EncryptedTextField(_("place"))
    face_check = models.CharField(_("face check"), max_length=12, choices=FaceCheck.choices, blank=True, default="")
    risk_signals = EncryptedJSONField(_("risk signals"), null=True, blank=True)

    objects = GatedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["person", "-occurred_at"], name="checkin_person_time")]

    @property
    def risk_flags(self) -> list[str]:
        """X7: the risk signals recorded with this check-in (empty without the permission)."""
        return sorted(name for name, is_reported in (self.risk_signals or {}).items() if is_reported)


@personal_data(
    subject="person",
    fields={
        "location": PI(Category.SENSITIVE, purpose="location_tracking", retention=RetentionClass.PURPOSE,
                       erasure=Erasure.DELETE, mask=Mask.LOCATION,
                       note="A3: only with tracking on and the person's consent"),
    },
)
class TrackingPing(models.Model):
    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()
    recorded_at = models.DateTimeField()
    location = EncryptedJSONField(_("location"), null=True, blank=True)

    objects = GatedQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["person", "-recorded_at"], name="trackingping_person_time")]


@personal_data(
    subject="person",
    fields={
        # C2/C5: biometrics. Only the embedding is needed to compare faces; it goes the moment the
        # person withdraws facial_recognition consent (attendance.services.on_consent_withdrawn).
        "embedding": PI(Category.SENSITIVE, purpose="facial_recognition", erasure=Erasure.DELETE, mask=Mask.HIDDEN,
                        note="A2: 128 numbers computed from the base photo"),
        "base_photo": PI(Category.SENSITIVE, purpose="facial_recognition", erasure=Erasure.DELETE, mask=Mask.HIDDEN,
                         note="A2: held only until the embedding is computed, unless the enterprise keeps base photos"),
    },
    not_personal={"status": "where the enrolment stands", "failure": "why it failed (no face found...)",
                  "keeps_base_photo": "the enterprise's choice when the person enrolled",
                  "requested_at": "when the photo arrived", "enrolled_at": "when the embedding was computed"},
)
class FaceEnrolment(models.Model):
    """A2/C5: a person's enrolled face: the embedding of their base photo, encrypted under their key.

    One per person; enrolling again replaces it. The photo is held (encrypted) only while the
    embedding is computed by a Celery task, then discarded unless `keeps_base_photo` (the
    enterprise's setting when the person enrolled, shown to them).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Being enrolled")
        ENROLLED = "enrolled", _("Enrolled")
        FAILED = "failed", _("Failed")

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    failure = models.CharField(_("failure"), max_length=200, blank=True, default="")
    embedding = EncryptedJSONField(_("face embedding"), null=True, blank=True)
    # The photo's bytes, base64: in the row (encrypted under the person's key), never in a file.
    base_photo = EncryptedTextField(_("base photo"))
    keeps_base_photo = models.BooleanField(_("base photo kept"), default=False)
    requested_at = models.DateTimeField(_("requested"))
    enrolled_at = models.DateTimeField(_("enrolled"), null=True, blank=True)

    objects = GatedQuerySet.as_manager()
