"""Attendance records. Location is sensitive (C2): encrypted under the person's key, shown masked.

CheckIn.location and TrackingPing.location are covered by consent purposes (device.location,
location_tracking): consent.gate guards every save. bulk_create, bulk_update and QuerySet.update()
would bypass that guard (no signals), so their manager (consent.gate.GatedQuerySet) refuses them.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from consent.gate import GatedQuerySet
from privacy.fields import EncryptedJSONField, EncryptedTextField, PersonKeyField
from privacy.registry import PI, Category, Erasure, Mask, RetentionClass, personal_data


@personal_data(subject=None, fields={}, actor_links={"changed_by": "the administrator who last changed the switches"})
class AttendanceSettings(models.Model):
    """The enterprise's switches (one row). C4: tracking on still needs each person's consent."""

    is_tracking_enabled = models.BooleanField(_("location tracking"), default=False)
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
    },
)
class CheckIn(models.Model):
    class Kind(models.TextChoices):
        CHECK_IN = "in", _("Check-in")
        CHECK_OUT = "out", _("Check-out")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("time"))
    location = EncryptedJSONField(_("location"), null=True, blank=True)
    place = EncryptedTextField(_("place"))

    objects = GatedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["person", "-occurred_at"], name="checkin_person_time")]


@personal_data(
    subject="person",
    fields={
        "location": PI(Category.SENSITIVE, purpose="location_tracking", retention=RetentionClass.PURPOSE,
                       erasure=Erasure.DELETE, mask=Mask.LOCATION,
                       note="A3: only with tracking on and the person's consent"),
    },
)
class TrackingPing(models.Model):
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()
    recorded_at = models.DateTimeField()
    location = EncryptedJSONField(_("location"), null=True, blank=True)

    objects = GatedQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["person", "-recorded_at"], name="trackingping_person_time")]
