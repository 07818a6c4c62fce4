"""Writes of field work: the customer list, visits (check-in, photos, check-out) and reports (A1).

Every position goes through `_located`: recorded only when the person gave location consent
(device.location, asked of consent.gate) — refused with `consent_required` otherwise — and
without one the person types the place. A visit photo needs camera consent (device.camera).
Uploads are checked by their content and bounded before anything is stored — by their header
only: an image is never decoded in the request. A Celery worker (check_upload) re-encodes it without
its metadata (a photo's EXIF can carry the GPS position the person did not consent to share)
before it is ready; until then it is "being checked" and nobody is shown it. Each save is audited by audit.recording (the models declare personal data).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from access.actors import SystemActor, require_actor
from access.capabilities import Capability, Scope, require, scope_of
from access.errors import NotInYourScope
from attendance import services as attendance_services
from audit.chain import lock_person
from audit.recording import record_event
from consent import gate
from core import images, tabular
from fieldwork import selectors
from fieldwork.errors import VisitNotOpen
from fieldwork.models import Customer, Report, ReportAttachment, UploadCheck, Visit, VisitPhoto
from orgdata import validators
from orgdata.selectors import scope as scope_selectors
from privacy import disclosure

LOCATION_PURPOSE = "device.location"  # A1: the same purpose attendance's check-in asks
CAMERA_PURPOSE = "device.camera"  # C3: photos and short videos
MAX_PLACE_LENGTH = 200
MAX_NOTE_LENGTH = 2000
MAX_REPORT_LENGTH = 10_000
MAX_PHOTOS_PER_VISIT = 9
MAX_ATTACHMENTS_PER_REPORT = 5
MAX_PDF_BYTES = 5 * 1024 * 1024
MAX_FIGURES = 20
MAX_FIGURE_LABEL_LENGTH = 40
# The worker that re-encodes uploaded images without their metadata (never a web request).
UPLOAD_CHECK = SystemActor("field work upload check")
PHOTO, ATTACHMENT = "photo", "attachment"


# --- the customer list (administrators) ---------------------------------------------------------

def _customer_department(actor, department):
    """The customer's department, inside `actor`'s scope (E5): a sub-administrator keeps only the
    customers of their departments and must name one; the manager may leave it empty."""
    if department is None:
        if scope_of(actor, Capability.ADMINISTER_CUSTOMERS) is not Scope.EVERYTHING:
            raise ValidationError({"department": [_("Choose one of your departments.")]})
        return None
    if not scope_selectors.departments_visible_to(actor).filter(pk=department.pk).exists():
        raise NotInYourScope()
    return department


def _customer_fields(*, name: str, address: str) -> tuple[str, str]:
    name = validators.visible_text(name or "").strip()
    address = validators.visible_text(address or "").strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    if len(name) > 200:
        raise ValidationError({"name": [_("Use at most %(count)d characters.") % {"count": 200}]})
    if len(address) > 300:
        raise ValidationError({"address": [_("Use at most %(count)d characters.") % {"count": 300}]})
    return name, address


def _save_customer(customer: Customer) -> Customer:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise ValidationError({"name": [_("Another customer already has this name.")]}) from None
    return customer


@transaction.atomic
def add_customer(*, actor, name: str, address: str = "", department=None) -> Customer:
    """A1: an administrator adds a customer to the enterprise's list, in one of their departments.

    Refuses anyone but an administrator (NotPermitted), a department outside a sub-administrator's
    scope (NotInYourScope), an empty or duplicate name (field errors).
    """
    require(actor, Capability.ADMINISTER_CUSTOMERS)
    name, address = _customer_fields(name=name, address=address)
    department = _customer_department(actor, department)
    return _save_customer(Customer(name=name, address=address, department=department, created_by=actor))


@transaction.atomic
def change_customer(*, actor, customer: Customer, name: str, address: str = "", department=None,
                    is_active: bool = True) -> Customer:
    """A1: an administrator renames, moves or retires (is_active=False: no new visits) a customer
    of their scope. Refuses as `add_customer` does; a customer outside the scope is not found."""
    require(actor, Capability.ADMINISTER_CUSTOMERS)
    customer = selectors.customer_visible_to(actor, customer.pk)
    customer.name, customer.address = _customer_fields(name=name, address=address)
    customer.department = _customer_department(actor, department)
    customer.is_active = bool(is_active)
    return _save_customer(customer)


# --- positions and typed places ----------------------------------------------------------------

def _located(*, person, location: dict | None, place: str, field_prefix: str = "") -> tuple[dict | None, str]:
    """A1: a GPS fix only under location consent, otherwise a typed place (one of them required)."""
    place = validators.visible_text(place or "").strip()
    if len(place) > MAX_PLACE_LENGTH:
        raise ValidationError({f"{field_prefix}place": [
            _("Keep the place under %(count)d characters.") % {"count": MAX_PLACE_LENGTH}]})
    if location is not None:
        try:
            location = attendance_services.clean_location(location)
        except ValidationError as error:
            raise ValidationError({f"{field_prefix}location": error.message_dict["location"]}) from None
        gate.require_consent(person, LOCATION_PURPOSE)
    elif not place:
        raise ValidationError({f"{field_prefix}place": [_("Type where you are, or allow location access.")]})
    return location, place


def _note(text: str, *, field: str = "note", limit: int = MAX_NOTE_LENGTH) -> str:
    text = validators.visible_text(text or "").strip()
    if len(text) > limit:
        raise ValidationError({field: [_("Use at most %(count)d characters.") % {"count": limit}]})
    return text


# --- visits (the person) -------------------------------------------------------------------------

@transaction.atomic
def check_in_visit(*, actor, customer_id: int, location: dict | None = None, place: str = "",
                   note: str = "") -> Visit:
    """A1: `actor` checks in at a customer of the enterprise's list (an active one).

    With a GPS location only when they gave location consent (device.location) — refused with
    `consent_required` otherwise; without one they type the place. Refuses an unknown or retired
    customer (field error `customer`).
    """
    require_actor(actor)
    customer = Customer.objects.filter(pk=customer_id, is_active=True).first()
    if customer is None:
        raise ValidationError({"customer": [_("Choose a customer from the list.")]})
    location, place = _located(person=actor, location=location, place=place)
    note = _note(note)
    # Lock order: the person's row before the audit-chain head (the save below is audited).
    lock_person(actor.pk, exclusive=False)
    visit = Visit(person=actor, customer=customer, checked_in_at=timezone.now(), check_in_location=location,
                  check_in_place=place, note=note)
    visit.person_key_id = actor.person_key_id
    visit.save()
    return visit


def _open_visit_of(actor, visit_id: int) -> Visit:
    visit = Visit.objects.select_for_update().filter(pk=visit_id, person=actor).first()
    if visit is None:
        raise NotInYourScope()
    if visit.checked_out_at is not None:
        raise VisitNotOpen(_("This visit is already checked out."))
    return visit


@transaction.atomic
def check_out_visit(*, actor, visit_id: int, location: dict | None = None, place: str = "",
                    note: str | None = None) -> Visit:
    """A1: `actor` checks out of their own open visit, with GPS only under location consent or a
    typed place; a note replaces the visit's note. Refuses someone else's visit (404) and a visit
    already checked out (409 `visit_not_open`)."""
    require_actor(actor)
    location, place = _located(person=actor, location=location, place=place)
    lock_person(actor.pk, exclusive=False)  # lock order: person before the audit-chain head (see check_in_visit)
    visit = _open_visit_of(actor, visit_id)
    visit.checked_out_at = timezone.now()
    visit.check_out_location, visit.check_out_place = location, place
    if note is not None:
        visit.note = _note(note)
    visit.save()
    return visit


def _checked_image(upload, *, field: str) -> ContentFile:
    """The upload as sent, once its header says it is a PNG or JPEG within bounds
    (orgdata.validators.validate_image_upload: ≤ 2 MB, ≤ 4096 pixels a side). Nothing decodes it
    here: the worker re-encodes it without metadata (check_upload) before anyone sees it."""
    try:
        extension = validators.validate_image_upload(upload)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    if extension is None:
        raise ValidationError({field: [_("Upload a PNG or JPEG image.")]})
    upload.seek(0)
    return ContentFile(upload.read(validators.MAX_IMAGE_BYTES + 1), name=f"{field}.{extension}")


def _check_after_commit(kind: str, upload_id: int) -> None:
    from fieldwork import tasks

    transaction.on_commit(lambda: tasks.check_upload.delay(kind, upload_id))


@transaction.atomic
def add_visit_photo(*, actor, visit_id: int, image) -> VisitPhoto:
    """A1/C3: attach a photo to `actor`'s own open visit — only with camera consent (device.camera),
    refused with `consent_required` otherwise. Refuses a file that is not a PNG or JPEG by content,
    over 2 MB or 4096 pixels, and more than MAX_PHOTOS_PER_VISIT photos (field errors `image`)."""
    require_actor(actor)
    gate.require_consent(actor, CAMERA_PURPOSE)
    pending = _checked_image(image, field="image")
    lock_person(actor.pk, exclusive=False)  # lock order: person before the audit-chain head (see check_in_visit)
    visit = _open_visit_of(actor, visit_id)
    if visit.photos.exclude(status=UploadCheck.REFUSED).count() >= MAX_PHOTOS_PER_VISIT:
        raise ValidationError({"image": [
            _("A visit has at most %(count)d photos.") % {"count": MAX_PHOTOS_PER_VISIT}]})
    photo = VisitPhoto(person=actor, visit=visit, taken_at=timezone.now())
    photo.image.save(pending.name, pending, save=False)
    try:
        photo.save()
    except Exception:
        photo.image.storage.delete(photo.image.name)  # nothing half-written: the file goes with the row
        raise
    _check_after_commit(PHOTO, photo.pk)
    return photo


# --- reports (the person) ------------------------------------------------------------------------

def _period_start(kind: str, period_start: date) -> date:
    if kind not in Report.Kind.values:
        raise ValidationError({"kind": [validators.choice_refusal(Report.Kind.choices)]})
    if not isinstance(period_start, date):
        raise ValidationError({"period_start": [_("Enter a valid date.")]})
    today = timezone.localdate()  # the enterprise's day (Asia/Shanghai), not the server's
    if period_start > today:
        raise ValidationError({"period_start": [_("This date is in the future.")]})
    if kind == Report.Kind.WEEKLY and period_start.weekday() != 0:
        raise ValidationError({"period_start": [_("A weekly report starts on a Monday.")]})
    if period_start < today - timedelta(days=366):
        raise ValidationError({"period_start": [_("This date is more than a year ago.")]})
    return period_start


def _figures(figures) -> dict | None:
    """{label: number}: at most MAX_FIGURES, labels of visible text, finite numbers."""
    if figures in (None, {}):
        return None
    if not isinstance(figures, dict) or len(figures) > MAX_FIGURES:
        raise ValidationError({"figures": [
            _("Send at most %(count)d figures, each a label and a number.") % {"count": MAX_FIGURES}]})
    cleaned = {}
    for label, value in figures.items():
        label = validators.visible_text(str(label)).strip()
        if not label or len(label) > MAX_FIGURE_LABEL_LENGTH:
            raise ValidationError({"figures": [
                _("Each figure needs a label of at most %(count)d characters.") % {"count": MAX_FIGURE_LABEL_LENGTH}]})
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or abs(value) > 1e12:
            raise ValidationError({"figures": [_("Each figure is a number.")]})
        cleaned[label] = value
    return cleaned


_PDF_SIGNATURE = b"%PDF-"


def _checked_attachment(upload) -> ContentFile:
    """A PNG or JPEG image (header-checked as visit photos are, cleaned by the worker) or a PDF (by
    its signature and end-of-file marker, at most 5 MB); anything else is refused by its content,
    never its name."""
    head = upload.read(len(_PDF_SIGNATURE))
    upload.seek(0)
    if head != _PDF_SIGNATURE:
        return _checked_image(upload, field="attachments")
    if upload.size is None or upload.size > MAX_PDF_BYTES:
        raise ValidationError({"attachments": [_("A PDF file is at most 5 MB.")]})
    content = upload.read(MAX_PDF_BYTES + 1)
    if len(content) > MAX_PDF_BYTES:
        raise ValidationError({"attachments": [_("A PDF file is at most 5 MB.")]})
    if b"%%EOF" not in content[-1024:]:
        raise ValidationError({"attachments": [_("This PDF file is damaged; upload it again.")]})
    return ContentFile(content, name="attachment.pdf")


@transaction.atomic
def submit_report(*, actor, kind: str, period_start: date, body: str, figures: dict | None = None,
                  location: dict | None = None, place: str = "", attachments=()) -> Report:
    """A1: `actor` submits their daily or weekly report: text, figures, files, and where they made it
    — GPS only with location consent (refused with `consent_required` otherwise), or a typed place,
    or neither. One report per kind and period; refuses a second (field error `period_start`), a
    date in the future, a weekly report not starting on a Monday, empty text, more than
    MAX_ATTACHMENTS_PER_REPORT files or a file that is not a PNG, JPEG or PDF by content."""
    require_actor(actor)
    period_start = _period_start(kind, period_start)
    body = _note(body, field="body", limit=MAX_REPORT_LENGTH)
    if not body:
        raise ValidationError({"body": [_("This field is required.")]})
    figures = _figures(figures)
    place = validators.visible_text(place or "").strip()
    if location is not None or place:
        location, place = _located(person=actor, location=location, place=place)
    attachments = list(attachments or ())
    if len(attachments) > MAX_ATTACHMENTS_PER_REPORT:
        raise ValidationError({"attachments": [
            _("A report has at most %(count)d files.") % {"count": MAX_ATTACHMENTS_PER_REPORT}]})
    files = [_checked_attachment(upload) for upload in attachments]  # all checked before anything is written
    lock_person(actor.pk, exclusive=False)  # lock order: person before the audit-chain head (see check_in_visit)
    if Report.objects.filter(person=actor, kind=kind, period_start=period_start).exists():
        raise ValidationError({"period_start": [_("You have already submitted this report.")]})
    now = timezone.now()
    report = Report(person=actor, kind=kind, period_start=period_start, submitted_at=now, body=body,
                    figures=figures, location=location, place=place)
    report.person_key_id = actor.person_key_id
    stored = []
    try:
        with transaction.atomic():
            report.save()
            for content in files:
                is_image = not content.name.endswith(".pdf")  # a PDF is not decoded: stored as checked
                attachment = ReportAttachment(person=actor, report=report, uploaded_at=now,
                                              status=UploadCheck.PENDING if is_image else UploadCheck.READY)
                attachment.file.save(content.name, content, save=False)
                stored.append(attachment.file)
                attachment.save()
                if is_image:
                    _check_after_commit(ATTACHMENT, attachment.pk)
    except IntegrityError:
        _delete_files(stored)
        raise ValidationError({"period_start": [_("You have already submitted this report.")]}) from None
    except Exception:
        _delete_files(stored)  # nothing half-written: files go with the rows that were not saved
        raise
    return report


# --- the worker's check of uploaded images -------------------------------------------------------

_UPLOADS = {PHOTO: (VisitPhoto, "image"), ATTACHMENT: (ReportAttachment, "file")}
_CONTENT_TYPES_BY_EXTENSION = {"png": images.PNG, "jpg": images.JPEG}


def check_upload(*, actor, kind: str, upload_id: int) -> str:
    """The worker's check of a pending visit photo or report image: decoded and re-encoded without
    its metadata (core.images: EXIF with its GPS position, comments, thumbnails), the cleaned file
    stored in place of the upload, and the row marked ready. An image the decoder cannot read
    whole (truncated, a broken EXIF block, a decompression bomb) is refused: its upload deleted and
    the reason kept for the person to read. Idempotent: a row no longer pending (or gone) is left
    alone. Returns the row's status ("gone" when it no longer exists)."""
    require_actor(actor)
    model, field = _UPLOADS[kind]
    upload = model.objects.filter(pk=upload_id, status=UploadCheck.PENDING).first()
    if upload is None:
        return "gone"
    stored = getattr(upload, field)
    extension = stored.name.rsplit(".", 1)[-1]
    # The decoder runs outside the transaction: no lock is held meanwhile.
    try:
        with stored.open("rb") as handle:
            content = handle.read(validators.MAX_IMAGE_BYTES + 1)
        cleaned, _width, _height = images.clean_image(
            content, _CONTENT_TYPES_BY_EXTENSION.get(extension, ""), max_side=validators.MAX_IMAGE_SIDE,
            max_pixels=validators.MAX_IMAGE_SIDE ** 2)
    except images.ImageRefused as refusal:
        cleaned, reason = None, refusal.reason
    except FileNotFoundError:
        cleaned, reason = None, gettext_noop("The image could not be read; upload it again.")
    with transaction.atomic():
        lock_person(upload.person_id, exclusive=False)  # lock order: person before the audit-chain head
        upload = model.objects.select_for_update().filter(pk=upload_id, status=UploadCheck.PENDING).first()
        if upload is None:
            return "gone"  # deleted meanwhile (erasure, retention, the report's cascade)
        stored = getattr(upload, field)
        original = stored.name
        if cleaned is None:
            upload.status, upload.refusal = UploadCheck.REFUSED, reason
            setattr(upload, field, "")
        else:
            upload.status = UploadCheck.READY
            stored.save(f"{field}.{extension}", ContentFile(cleaned), save=False)
        upload.save()
        storage = stored.storage
        transaction.on_commit(lambda: storage.delete(original))  # the upload as sent, never shown
    return upload.status


def refusal_message(upload) -> str:
    """Why the worker refused a file, in the reader's language ("" when it was not refused)."""
    return _(upload.refusal) if upload.refusal else ""


def _delete_files(files) -> None:
    for stored in files:
        stored.storage.delete(stored.name)


# --- the administrator's report export -----------------------------------------------------------

_CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class ReportExport:
    filename: str
    content_type: str
    content: bytes
    row_count: int


def export_reports(*, actor, reports, file_format: str) -> ReportExport:
    """A1: the reports `actor` sees (`reports`: already scoped and filtered by
    selectors.reports_visible_to) as CSV or XLSX, written formula-safe (core.tabular) and shown as
    the data map says (positions masked, privacy.disclosure). Recorded in the audit log. Refuses
    non-administrators, an unknown format and more than settings.FIELDWORK_EXPORT_MAX_ROWS reports:
    one request's worth, written in the request; a longer period is exported in parts (narrow the filters).
    """
    require(actor, Capability.SEE_FIELD_WORK)
    if file_format not in _CONTENT_TYPES:
        raise ValidationError({"format": [validators.choice_refusal([("csv", "CSV"), ("xlsx", "XLSX")])]})
    limit = settings.FIELDWORK_EXPORT_MAX_ROWS
    chosen = list(reports[:limit + 1])
    if len(chosen) > limit:
        raise ValidationError({"since": [
            _("More than %(count)d reports match: choose a shorter period.") % {"count": limit}]})
    header = [_("Period"), _("Kind"), _("Person"), _("Submitted"), _("Text"), _("Figures"), _("Place"),
              _("Location"), _("Files")]
    rows = [[
        report.period_start.isoformat(), report.get_kind_display(),
        report.person.display_name if report.person_id else "",
        timezone.localtime(report.submitted_at).strftime("%Y-%m-%d %H:%M"), report.body,
        "; ".join(f"{label}: {value}" for label, value in (report.figures or {}).items()),
        report.place, str(disclosure.shown_value(viewer=actor, instance=report, field="location") or ""),
        len(report.attachments.all()),
    ] for report in chosen]
    content = tabular.write_csv(header, rows) if file_format == "csv" else tabular.write_xlsx(
        header, rows, sheet_title=str(_("Reports")))
    record_event(action="field_reports_exported", object_type="fieldwork.report", object_id="",
                 changed_fields=("body", "figures", "place", "location"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ReportExport(f"reports-{stamp}.{file_format}", _CONTENT_TYPES[file_format], content, len(rows))
