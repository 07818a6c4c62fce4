"""Writes of attendance: check-in/out, tracking pings, the enterprise's tracking switch."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.capabilities import Capability, require
from attendance.errors import TrackingSwitchedOff
from attendance.models import AttendanceSettings, CheckIn, TrackingPing
from audit.chain import lock_person
from consent import gate


def clean_location(location) -> dict:
    """A GPS fix {"lat", "lng"[, "accuracy"]} within range; field-level errors otherwise."""
    if not isinstance(location, dict):
        raise ValidationError({"location": [_("Send lat and lng.")]})
    try:
        lat, lng = float(location["lat"]), float(location["lng"])
        accuracy = float(location.get("accuracy") or 0)
    except (KeyError, TypeError, ValueError):
        raise ValidationError({"location": [_("Send lat and lng as numbers.")]}) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or accuracy < 0:
        raise ValidationError({"location": [_("This is not a valid position.")]})
    return {"lat": round(lat, 6), "lng": round(lng, 6), "accuracy": round(accuracy, 1)}


@transaction.atomic
def check_in(*, person, kind: str, location: dict | None = None, place: str = "") -> CheckIn:
    """A1: record a check-in or check-out.

    With a GPS location only when the person gave location consent (device.location) — refused
    with `consent_required` otherwise; without one, the person types the place. Refuses neither.
    """
    if kind not in CheckIn.Kind.values:
        raise ValidationError({"kind": [_("Choose check-in or check-out.")]})
    place = (place or "").strip()
    if location is not None:
        location = clean_location(location)
        gate.require_consent(person, "device.location")
    elif not place:
        raise ValidationError({"place": [_("Type where you are, or allow location access.")]})
    if len(place) > 200:
        raise ValidationError({"place": [_("Keep the place under 200 characters.")]})
    # Lock order: the person's row before the audit-chain head (the save below is audited). The
    # row's foreign key would otherwise take this lock only at COMMIT, after the head, and deadlock
    # with a consent answer of the same person (which holds the person and waits for the head).
    lock_person(person.pk, exclusive=False)
    record = CheckIn(person=person, kind=kind, occurred_at=timezone.now(), location=location, place=place)
    record.person_key_id = person.person_key_id
    record.save()
    return record


def tracking_settings() -> AttendanceSettings:
    return AttendanceSettings.objects.order_by("pk").first() or AttendanceSettings(is_tracking_enabled=False)


@transaction.atomic
def record_tracking_ping(*, person, location: dict) -> TrackingPing:
    """A3/C4: accept one location-tracking ping — only while the enterprise has tracking on AND
    the person separately consented to tracking (which itself needs the location permission)."""
    location = clean_location(location)
    if not tracking_settings().is_tracking_enabled:
        raise TrackingSwitchedOff(_("Your enterprise has not switched location tracking on."))
    gate.require_consent(person, "location_tracking")
    lock_person(person.pk, exclusive=False)  # lock order: person before the audit-chain head (see check_in)
    ping = TrackingPing(person=person, recorded_at=timezone.now(), location=location)
    ping.person_key_id = person.person_key_id
    ping.save()
    return ping


@transaction.atomic
def switch_tracking(*, actor, enabled: bool) -> AttendanceSettings:
    """C4: the enterprise manager switches location tracking on or off for the whole enterprise.

    On does not start tracking anyone: each person still decides (location_tracking consent).
    Refuses (NotPermitted) anyone but the manager: the switch is enterprise-wide, and
    enterprise-wide switches are the manager's (sub-administrators administer their departments).
    """
    require(actor, Capability.SWITCH_TRACKING)
    settings_row = AttendanceSettings.objects.select_for_update().order_by("pk").first() or AttendanceSettings()
    settings_row.is_tracking_enabled = bool(enabled)
    settings_row.changed_by = actor
    settings_row.save()
    return settings_row
