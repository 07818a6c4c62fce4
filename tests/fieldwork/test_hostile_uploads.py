"""Uploads are never decoded inside a web request: a visit photo or report image is checked by its
header in the request and stored as "being checked"; the worker's task (fieldwork.tasks.check_upload,
run here in process as the worker would) decodes it with the one image cleaner (core.images) and
either stores it re-encoded without metadata or refuses it with a reason the person reads. Nothing
being checked or refused is shown to an administrator as a file."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from fieldwork.models import ReportAttachment, VisitPhoto
from tests.fieldwork import hostile_images
from tests.fieldwork.factories import field_worker, image_bytes, make_customer, run_upload_checks
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (fixtures: enterprise A)

VISITS = "/api/v1/field/visits"
HOSTILE = {"bad-exif.jpg": hostile_images.bad_exif_jpeg, "truncated.jpg": hostile_images.truncated_jpeg,
           "bomb.png": hostile_images.png_bomb}


@pytest.fixture
def decoder_forbidden(monkeypatch):
    """Pillow's decoder refuses to open anything while the request runs (an outside library: a
    stand-in that proves the request path never reaches it). Call the result to allow it again."""
    from PIL import Image

    def forbidden(*args, **kwargs):
        raise AssertionError("an image was decoded inside the web request")

    monkeypatch.setattr(Image, "open", forbidden)
    return monkeypatch.undo


def _visit_with_camera(enterprise, manager):
    person = field_worker(enterprise)
    assert person.grant("device.camera").status_code == 201
    customer = make_customer(actor=manager)
    return person, person.post(VISITS, {"customer": customer.pk, "place": "Shop floor"}).json()["id"]


def _photo(person, visit_id, name, content):
    return person.client.post(f"{VISITS}/{visit_id}/photos",
                              {"image": SimpleUploadedFile(name, content, content_type="image/jpeg")}, format="multipart")


def _photo_checks(person, visit_id):
    return next(visit["photo_checks"] for visit in person.get(VISITS).json() if visit["id"] == visit_id)


@pytest.mark.promise("A1")
def test_hostile_photos_are_accepted_unread_then_refused_by_the_worker_with_a_reason(
        enterprises, in_a, manager, console_as, decoder_forbidden):
    person, visit_id = _visit_with_camera(enterprises.a, manager)
    sent = {}
    for name, make in (*HOSTILE.items(), ("fine.jpg", image_bytes)):
        content = make()
        answer = _photo(person, visit_id, name, content)
        assert answer.status_code == 201 and answer.json()["status"] == "pending", (name, answer.content)
        sent[answer.json()["id"]] = (name, content)
    with schema_context(enterprises.a.schema_name):
        for photo in VisitPhoto.objects.filter(visit_id=visit_id):
            with photo.image.open("rb") as stored:
                assert stored.read() == sent[photo.pk][1]  # stored as sent: nothing decoded it
    # The administrator's visit log counts no photo yet: all four are being checked.
    page = console_as(manager).get("/console/field/").content.decode()
    assert "0 <span class=\"muted\">(4 being checked)</span>" in page

    decoder_forbidden()  # the worker may decode
    outcome = run_upload_checks(enterprises.a)
    assert {sent[pk][0]: status for pk, status in outcome.items()} == {
        "bad-exif.jpg": "refused", "truncated.jpg": "refused", "bomb.png": "refused", "fine.jpg": "ready"}
    shown = {sent[check["id"]][0]: check for check in _photo_checks(person, visit_id)}
    for name in HOSTILE:
        assert shown[name]["status"] == "refused"
        assert shown[name]["refusal"] == "The image could not be read; upload it again."
    assert shown["fine.jpg"] == {"id": shown["fine.jpg"]["id"], "status": "ready", "refusal": ""}
    with schema_context(enterprises.a.schema_name):
        refused = VisitPhoto.objects.filter(visit_id=visit_id, status="refused")
        assert refused.count() == 3 and set(refused.values_list("image", flat=True)) == {""}  # uploads deleted
    page = console_as(manager).get("/console/field/").content.decode()
    assert 'data-testid="photos">1</td>' in page


@pytest.mark.promise("A1")
def test_a_hostile_report_image_is_refused_by_the_worker_and_the_person_reads_why(
        enterprises, decoder_forbidden, monkeypatch):
    person = field_worker(enterprises.a)
    submitted = person.client.post("/api/v1/field/reports", {
        "kind": "daily", "period_start": timezone.localdate().isoformat(), "body": "Photos of the stand",
        "attachments": [SimpleUploadedFile("stand.png", hostile_images.png_bomb()),
                        SimpleUploadedFile("cut.jpg", hostile_images.truncated_jpeg())]}, format="multipart")
    assert submitted.status_code == 201, submitted.content
    assert [check["status"] for check in submitted.json()["attachment_checks"]] == ["pending", "pending"]

    decoder_forbidden()
    from PIL import ImageFile

    # What face_recognition does to Pillow when the worker imports it: the cleaner is not weakened.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert list(run_upload_checks(enterprises.a).values()) == ["refused", "refused"]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # and the worker's other work keeps its setting
    report = next(report for report in person.get("/api/v1/field/reports").json()
                  if report["id"] == submitted.json()["id"])
    assert {(check["status"], check["refusal"]) for check in report["attachment_checks"]} == {
        ("refused", "The image could not be read; upload it again.")}
    with schema_context(enterprises.a.schema_name):
        assert set(ReportAttachment.objects.filter(report_id=report["id"]).values_list("file", flat=True)) == {""}


def test_an_image_over_the_bounds_by_its_header_is_refused_in_the_request_naming_the_field(
        enterprises, in_a, manager, decoder_forbidden):
    person, visit_id = _visit_with_camera(enterprises.a, manager)
    wide = bytearray(image_bytes("PNG"))
    wide[16:20] = (60_000).to_bytes(4, "big")  # IHDR width: what a bomb's header would claim
    refused = _photo(person, visit_id, "wide.png", bytes(wide))
    assert refused.status_code == 400 and "image" in refused.json()["fields"]
    with schema_context(enterprises.a.schema_name):
        assert not VisitPhoto.objects.filter(visit_id=visit_id).exists()
