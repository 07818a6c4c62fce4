"""Field-work test helpers: people signed in to the mobile API with the field-visits application
switched on (E6), customers added by the manager, and real image and PDF files."""
from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from fieldwork import services as fieldwork_services
from orgdata.models import Application, ApplicationSwitch
from tests.consent.factories import Person, signed_in

GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}
# Written into the test images' metadata: it must never reach storage (a photo's EXIF can carry GPS).
METADATA_MARKER = "SECRET-GPS-31.2304"


def field_worker(enterprise, user=None, *, with_field_visits: bool = True, **user_fields) -> Person:
    """A signed-in person; unless told otherwise, with the field-visits application (default off)
    switched on for them, so the field-work API answers them (E6)."""
    person = signed_in(enterprise, user, with_attendance=False, **user_fields)
    if with_field_visits:
        with schema_context(enterprise.schema_name):
            ApplicationSwitch.objects.get_or_create(application=Application.objects.get(code="field-visits"),
                                                    account=person.user, department=None,
                                                    defaults={"is_enabled": True})
    return person


def make_customer(*, actor, name: str = "Oriental Pearl Trading", address: str = "1 Century Avenue",
                  department=None):
    return fieldwork_services.add_customer(actor=actor, name=name, address=address, department=department)


def image_bytes(kind: str = "JPEG", *, size=(64, 48)) -> bytes:
    """A real image whose metadata (EXIF description and GPS) carries METADATA_MARKER."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010E] = METADATA_MARKER  # ImageDescription
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 49.44)}  # GPS IFD: latitude
    buffer = io.BytesIO()
    image.save(buffer, format=kind, exif=exif.tobytes())
    return buffer.getvalue()


def run_upload_checks(enterprise) -> dict[int, str]:
    """Run the worker's check (fieldwork.tasks.check_upload) of every pending visit photo and
    report image, in process as the worker would; returns {row id: status}. The task is queued
    once the upload commits, which a test's transaction never does
    (tests/fieldwork/test_uploads_worker.py runs it on the real worker)."""
    from fieldwork import tasks
    from fieldwork.models import ReportAttachment, UploadCheck, VisitPhoto

    outcome = {}
    with schema_context(enterprise.schema_name):
        for kind, model in ((fieldwork_services.PHOTO, VisitPhoto), (fieldwork_services.ATTACHMENT, ReportAttachment)):
            for pk in model.objects.filter(status=UploadCheck.PENDING).values_list("pk", flat=True):
                outcome[pk] = tasks.check_upload.apply(args=[kind, pk]).get()
    return outcome


def image_upload(kind: str = "JPEG", name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(kind), content_type="image/jpeg")


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
