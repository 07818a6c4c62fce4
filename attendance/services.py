"""Writes of attendance: check-in/out (with a face photo, A2, and device risk signals, X7), face
enrolment (A2/C5), tracking pings, the enterprise's switches."""
from __future__ import annotations

import base64

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.actors import SystemActor, require_actor
from access.capabilities import Capability, require
from attendance import faces
from attendance.errors import FaceCheckUnavailable, FaceMismatch, TrackingSwitchedOff
from attendance.models import AttendanceSettings, CheckIn, FaceEnrolment, TrackingPing
from audit.chain import lock_person
from audit.recording import record_event
from consent import gate
from core import images
from core.errors import NotPermitted
from orgdata.validators import MAX_IMAGE_SIDE, validate_image_upload

# C5 (Q 2(2)1(3)): the separate biometric consent facial check-in needs (consent.catalogue).
FACIAL_RECOGNITION = "facial_recognition"
# X7 (Q 2(5)2): the device permission risk control needs (consent.catalogue: "Detect
# virtual-location software on the device (risk control)").
RISK_CONTROL_PERMISSION = "device.installed_apps"
# X7: what the mobile app may report about the device for risk control, and how the console names it.
RISK_SIGNALS = {"virtual_location_app": gettext_lazy("Virtual-location app reported")}
# The worker computing embeddings of enrolment photos.
FACE_ENROLMENT = SystemActor("face enrolment")
# The worker computing the embedding of a check-in photo, and how long the check-in waits for it:
# the photo is decoded and the model runs in a worker child, never in the web process (a decoder
# crash or hang kills a worker child); past this the person is told to try again (503).
FACE_CHECK = SystemActor("face check")
FACE_CHECK_TIMEOUT_SECONDS = 10
FACE_CHECK_RETRY_AFTER_SECONDS = 5


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


def check_in(*, person, kind: str, location: dict | None = None, place: str = "", photo=None,
             device_report: dict | None = None) -> CheckIn:
    """A1: record a check-in or check-out.

    With a GPS location only when the person gave location consent (device.location) — refused
    with `consent_required` otherwise; without one, the person types the place. Refuses neither.
    A2: with a `photo`, refused with `consent_required` without facial_recognition consent (C5);
    compared with the person's enrolled face, refused with `face_mismatch` (and the refusal
    audited) when it shows someone else; an ordinary check-in when they have not enrolled. The
    photo's face is computed by a worker (503 `try_again` when it does not answer in time).
    X7: `device_report` ({"virtual_location_app": true}) is recorded with the check-in, flagging
    it, only when the person granted the installed-app permission; otherwise it is dropped
    unread: the check-in is neither flagged nor refused for it.
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
    # The face is compared before the transaction opens: no lock is held while the model runs.
    face_check = _face_check(person=person, photo=photo) if photo is not None else CheckIn.FaceCheck.NONE
    risk_signals = _risk_signals(person=person, device_report=device_report)
    with transaction.atomic():
        # Lock order: the person's row before the audit-chain head (the save below is audited). The
        # row's foreign key would otherwise take this lock only at COMMIT, after the head, and
        # deadlock with a consent answer of the same person (which holds the person and waits for
        # the head).
        lock_person(person.pk, exclusive=False)
        record = CheckIn(person=person, kind=kind, occurred_at=timezone.now(), location=location, place=place,
                         face_check=face_check, risk_signals=risk_signals)
        record.person_key_id = person.person_key_id
        record.save()
    return record


def _face_check(*, person, photo) -> str:
    """A2/C5: compare `photo` with the person's enrolled face (see check_in)."""
    gate.require_consent(person, FACIAL_RECOGNITION)
    enrolment = FaceEnrolment.objects.filter(person=person, status=FaceEnrolment.Status.ENROLLED).first()
    if enrolment is None or not enrolment.embedding:
        return CheckIn.FaceCheck.NOT_ENROLLED  # A2: not enrolled, an ordinary check-in
    if faces.is_same_face(enrolment.embedding, _embedding_from_worker(photo)):
        return CheckIn.FaceCheck.VERIFIED
    with transaction.atomic():
        lock_person(person.pk, exclusive=False)  # lock order: person before the audit-chain head
        record_event(action="face_mismatch", object_type="attendance.faceenrolment", object_id=enrolment.pk)
    raise FaceMismatch(_("This photo does not match your enrolled face. Try again facing the camera."))


def _embedding_from_worker(photo) -> list[float]:
    """A2: the check-in photo's embedding, computed by a worker (check_in_embedding) within
    FACE_CHECK_TIMEOUT_SECONDS; refuses (FaceCheckUnavailable, 503 `try_again`) when no answer
    comes in time or the worker failed, (ValidationError on `photo`) a photo the worker could not
    read or found no face in. Only the header is checked here (validate_image_upload)."""
    from celery.exceptions import TimeoutError as NoAnswerInTime

    from attendance import tasks

    try:
        validate_image_upload(photo)
    except ValidationError as error:
        raise ValidationError({"photo": [error]}) from None
    photo.seek(0)
    content = base64.b64encode(photo.read()).decode("ascii")
    # Expires with the wait: a worker that picks the photo up after the person was told to try
    # again does not compute it.
    result = tasks.compute_check_in_embedding.apply_async(args=[content], expires=FACE_CHECK_TIMEOUT_SECONDS)
    try:
        outcome = result.get(timeout=FACE_CHECK_TIMEOUT_SECONDS, propagate=False)
    except NoAnswerInTime:
        outcome = None
    finally:
        result.forget()  # an embedding is biometric: it does not stay in the result store
    if isinstance(outcome, dict) and outcome.get("failure"):
        failure = outcome["failure"]
        raise ValidationError({"photo": [ValidationError(face_failure_message(failure), code=failure)]})
    if not isinstance(outcome, dict) or len(outcome.get("embedding") or ()) != faces.EMBEDDING_SIZE:
        raise FaceCheckUnavailable(_("Checking your face took too long. Try again in a moment."),
                                   extra={"retry_after": FACE_CHECK_RETRY_AFTER_SECONDS})
    return outcome["embedding"]


def check_in_embedding(*, actor, photo_content: str) -> dict:
    """A2: the worker's part of a facial check-in: {"embedding": [128 numbers]} of the clearest face
    in the photo (base64), or {"failure": code} ("no_face", "damaged_image") when the photo cannot
    be decoded or shows no face. Stores nothing: the check-in compares and records."""
    require_actor(actor)
    try:
        return {"embedding": faces.embedding_of(ContentFile(base64.b64decode(photo_content), name="check-in-photo"))}
    except ValidationError as error:
        return {"failure": next((item.code for item in error.error_dict.get("photo", ()) if item.code), "")
                or "damaged_image"}


def _risk_signals(*, person, device_report: dict | None) -> dict | None:
    """X7: the device's risk report as recorded with a check-in, or None."""
    if not device_report:
        return None
    if not gate.may_process(person, RISK_CONTROL_PERMISSION):
        return None  # X7: without the permission the report is neither recorded nor used
    reported = {name: True for name in RISK_SIGNALS if device_report.get(name) is True}
    return reported or None


# --- face enrolment (A2, C5) ---------------------------------------------------------------------

def face_photo_notice(keeps_base_photo: bool) -> str:
    """A2: what the person is told about their base photo before and after enrolling."""
    if keeps_base_photo:
        return _("Your enterprise keeps your base photo, encrypted, next to the face features computed from it, "
                 "until you withdraw consent to facial check-in.")
    return _("Your photo is deleted as soon as your face is enrolled: only the face features computed from it "
             "are kept, encrypted, until you withdraw consent to facial check-in.")


def face_failure_message(failure: str) -> str:
    """A2: why an enrolment failed, for the person (from the code the task stored)."""
    if not failure:
        return ""
    return str(faces.NO_FACE_FOUND) if failure == "no_face" else _("This image is damaged; upload it again.")


def enrol_face(*, actor, person, photo) -> FaceEnrolment:
    """A2/C5: the person sends their base photo; its embedding is computed by a Celery task.

    Refuses (NotPermitted) anyone enrolling someone else's face, (ConsentRequired) a person without
    facial_recognition consent, and (ValidationError on `photo`) what
    orgdata.validators.validate_image_upload refuses (checked by content, ≤ 2 MB, ≤ 4096 px)
    before anything is stored. Enrolling again replaces the earlier enrolment. The photo is held
    encrypted under the person's key until the task has run, then discarded unless the
    enterprise keeps base photos (`keeps_base_photo`, shown to the person).
    """
    require_actor(actor)
    if getattr(actor, "pk", None) != person.pk:
        raise NotPermitted(_("Only you can enrol your face."))
    gate.require_consent(person, FACIAL_RECOGNITION)
    try:
        validate_image_upload(photo)
    except ValidationError as error:
        raise ValidationError({"photo": error.messages}) from None
    photo.seek(0)
    content = base64.b64encode(photo.read()).decode("ascii")
    with transaction.atomic():
        lock_person(person.pk, exclusive=False)  # lock order: person before the audit-chain head
        enrolment = FaceEnrolment.objects.select_for_update().filter(person=person).first() or FaceEnrolment(
            person=person)
        enrolment.person_key_id = person.person_key_id
        enrolment.status, enrolment.failure = FaceEnrolment.Status.PENDING, ""
        enrolment.embedding, enrolment.enrolled_at = None, None
        enrolment.base_photo = content
        enrolment.keeps_base_photo = tracking_settings().keeps_face_base_photo
        enrolment.requested_at = timezone.now()
        enrolment.save()
        from attendance import tasks  # the task module imports this one

        transaction.on_commit(lambda: tasks.compute_face_embedding.delay(enrolment.pk))
    return enrolment


def compute_face_embedding(*, actor, enrolment_id: int) -> str:
    """A2: compute a pending enrolment's embedding from its photo, then discard the photo unless
    the enrolment keeps it. Idempotent: an enrolment no longer pending (replaced, withdrawn,
    done) is left alone. A photo with no face found fails the enrolment, saying why. Refuses
    (ConsentRequired) when the person's facial_recognition consent lapsed, deleting the photo.
    The embedding is written under the gate's model guard too (consent.catalogue covers it).
    Returns the enrolment's status ("gone" when it no longer exists)."""
    require_actor(actor)
    enrolment = FaceEnrolment.objects.filter(pk=enrolment_id, status=FaceEnrolment.Status.PENDING).first()
    if enrolment is None:
        return "gone"
    if not gate.may_process(enrolment.person_id, FACIAL_RECOGNITION):
        # C5: the consent lapsed since the photo arrived (a withdrawal deletes the row itself):
        # nothing is computed, the photo goes, and the task is refused.
        with transaction.atomic():
            lock_person(enrolment.person_id, exclusive=False)  # lock order: person before the audit-chain head
            FaceEnrolment.objects.filter(pk=enrolment_id).delete()
        gate.require_consent(enrolment.person_id, FACIAL_RECOGNITION)
    embedding, failure, kept_photo = None, "", ""
    try:
        # The model runs outside the transaction: no lock is held meanwhile.
        embedding = faces.embedding_of(ContentFile(base64.b64decode(enrolment.base_photo), name="base-photo"))
    except ValidationError as error:
        # Kept as the refusal's code; the person reads it in their language (face_failure_message).
        failure = next((item.code for item in error.error_dict.get("photo", ()) if item.code), "") or "unreadable"
    if embedding is not None and enrolment.keeps_base_photo:
        kept_photo = _without_metadata(base64.b64decode(enrolment.base_photo))
    with transaction.atomic():
        lock_person(enrolment.person_id, exclusive=False)  # lock order: person before the audit-chain head
        enrolment = FaceEnrolment.objects.select_for_update().filter(
            pk=enrolment_id, status=FaceEnrolment.Status.PENDING, requested_at=enrolment.requested_at).first()
        if enrolment is None:
            return "gone"  # withdrawn (deleted) or replaced by a newer photo (whose own task computes it)
        if embedding is not None:
            enrolment.status, enrolment.embedding, enrolment.enrolled_at = (
                FaceEnrolment.Status.ENROLLED, embedding, timezone.now())
        else:
            enrolment.status, enrolment.failure = FaceEnrolment.Status.FAILED, failure[:40]
        # A2: the photo is discarded once the embedding exists, unless the enterprise keeps it: then
        # only its pixels are kept (its EXIF may carry where it was taken: no location without consent).
        enrolment.base_photo = kept_photo
        enrolment.save()
        return enrolment.status


def _without_metadata(photo: bytes) -> str:
    """A kept base photo re-encoded without any metadata (core.images), base64; "" (not kept) when
    it cannot be cleaned."""
    kind = images.PNG if photo.startswith(b"\x89PNG") else images.JPEG
    try:
        cleaned, _width, _height = images.clean_image(photo, kind, max_side=MAX_IMAGE_SIDE,
                                                      max_pixels=MAX_IMAGE_SIDE ** 2)
    except images.ImageRefused:
        return ""
    return base64.b64encode(cleaned).decode("ascii")


@transaction.atomic
def delete_face_enrolment(*, actor, person) -> int:
    """C5: delete the person's enrolled face (embedding and any base photo) at once. `actor` is
    the person, or whoever withdrew the consent on their behalf. Returns the rows deleted."""
    require_actor(actor)
    lock_person(person.pk, exclusive=False)  # lock order: person before the audit-chain head
    return FaceEnrolment.objects.filter(person=person).delete()[0]


def on_consent_withdrawn(sender, *, actor, person, purpose_code: str, **kwargs) -> None:
    """Receiver of consent.signals.consent_withdrawn, in the withdrawal's transaction: withdrawing
    facial_recognition consent (C5) deletes the person's enrolled face at once."""
    if purpose_code == FACIAL_RECOGNITION:
        # The withdrawal holds the person's row already (exclusive), taken before the audit-chain head.
        FaceEnrolment.objects.filter(person=person).delete()


@transaction.atomic
def set_face_photo_policy(*, actor, keeps_base_photo: bool) -> AttendanceSettings:
    """A2: the enterprise manager decides whether base photos are kept after enrolments made from
    now on (each person was told the choice in force when they enrolled, and keeps what they were
    told until they enrol again, delete their enrolment or withdraw consent).
    Refuses (NotPermitted) anyone but the manager."""
    require(actor, Capability.SET_FACE_PHOTO_POLICY)
    settings_row = AttendanceSettings.objects.select_for_update().order_by("pk").first() or AttendanceSettings()
    settings_row.keeps_face_base_photo = bool(keeps_base_photo)
    settings_row.changed_by = actor
    settings_row.save()
    return settings_row


def tracking_settings() -> AttendanceSettings:
    """The enterprise's attendance switches (tracking, A3; base photos kept, A2)."""
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
