"""Customer visits through the mobile API (A1): GPS only under location consent, otherwise a
typed place; photos only under camera consent, checked by content and stripped of their metadata;
the visit log per person and per customer; every endpoint only for people the enterprise switched
the field-visits application on for (E6)."""
from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django_tenants.utils import schema_context

from accounts.models import User
from fieldwork.api import urls as fieldwork_api_urls
from fieldwork.models import Visit, VisitPhoto
from tests.fieldwork.factories import (GPS, METADATA_MARKER, PDF, field_worker, image_bytes, image_upload, make_customer,
                                       run_upload_checks)

VISITS = "/api/v1/field/visits"


@pytest.fixture
def customers(enterprises):
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        return {"pearl": make_customer(actor=manager).pk,
                "river": make_customer(actor=manager, name="Huangpu River Supplies", address="8 Bund").pk}


def _photo(person, visit_id, upload):
    return person.client.post(f"{VISITS}/{visit_id}/photos", {"image": upload}, format="multipart")


@pytest.mark.promise("A1")
def test_visit_check_in_records_gps_only_with_location_consent_otherwise_a_typed_place(enterprises, customers):
    person = field_worker(enterprises.a)
    refused = person.post(VISITS, {"customer": customers["pearl"], "location": GPS})
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent_required" and refused.json()["missing"] == ["device.location"]
    with schema_context(enterprises.a.schema_name):
        assert not Visit.objects.filter(person=person.user).exists()  # nothing half-written

    typed = person.post(VISITS, {"customer": customers["pearl"], "place": "Reception, 3rd floor", "note": "Demo"})
    assert typed.status_code == 201, typed.content
    assert typed.json()["check_in_place"] == "Reception, 3rd floor" and typed.json()["check_in_location"] is None
    missing = person.post(VISITS, {"customer": customers["pearl"]})
    assert missing.status_code == 400 and "place" in missing.json()["fields"]
    unknown = person.post(VISITS, {"customer": 999_999, "place": "Somewhere"})
    assert unknown.status_code == 400 and "customer" in unknown.json()["fields"]
    bad = person.post(VISITS, {"customer": customers["pearl"], "location": {"lat": 123, "lng": 0}})
    assert bad.status_code == 400 and "location" in bad.json()["fields"]
    # Checking out with GPS is refused the same way; the visit stays open.
    visit_id = typed.json()["id"]
    assert person.post(f"{VISITS}/{visit_id}/check-out", {"location": GPS}).status_code == 403

    assert person.grant("device.location").status_code == 201
    located = person.post(VISITS, {"customer": customers["river"], "location": GPS})
    assert located.status_code == 201
    # C2: whereabouts are shown masked, and stored encrypted.
    assert located.json()["check_in_location"] == "***"
    out = person.post(f"{VISITS}/{visit_id}/check-out", {"location": GPS, "note": "Signed the order"})
    assert out.status_code == 200 and out.json()["checked_out_at"] and out.json()["check_out_location"] == "***"
    again = person.post(f"{VISITS}/{visit_id}/check-out", {"place": "Lobby"})
    assert again.status_code == 409 and again.json()["code"] == "visit_not_open"
    with schema_context(enterprises.a.schema_name):
        stored = Visit.objects.get(pk=located.json()["id"])
        assert stored.check_in_location == {"lat": 31.2304, "lng": 121.4737, "accuracy": 12.0}
        assert Visit.objects.get(pk=visit_id).note == "Signed the order"
        with connection.cursor() as cursor:
            cursor.execute("SELECT check_in_location FROM fieldwork_visit WHERE id = %s", [stored.pk])
            raw = cursor.fetchone()[0]
        assert "31.2304" not in raw and "121.4737" not in raw

    # Withdrawing location consent stops the next position at once (C6).
    assert person.withdraw("device.location").status_code in (200, 201)
    assert person.post(VISITS, {"customer": customers["pearl"], "location": GPS}).status_code == 403


def _photo_checks(person, visit_id):
    return next(visit["photo_checks"] for visit in person.get(VISITS).json() if visit["id"] == visit_id)


@pytest.mark.promise("A1")
def test_visit_photos_need_camera_consent_and_are_checked_by_content(enterprises, customers):
    person = field_worker(enterprises.a)
    visit_id = person.post(VISITS, {"customer": customers["pearl"], "place": "Shop floor"}).json()["id"]

    refused = _photo(person, visit_id, image_upload())
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent_required" and refused.json()["purpose"] == "device.camera"

    assert person.grant("device.camera").status_code == 201
    from django.core.files.uploadedfile import SimpleUploadedFile

    for name, content in (("photo.jpg", PDF), ("photo.png", b"<html>not an image</html>"),
                          ("photo.jpg", b"\xff\xd8\xff" + b"\x00" * 40)):
        wrong = _photo(person, visit_id, SimpleUploadedFile(name, content, content_type="image/jpeg"))
        assert wrong.status_code == 400 and "image" in wrong.json()["fields"], (name, wrong.content)

    taken = _photo(person, visit_id, image_upload())
    assert taken.status_code == 201, taken.content
    png = _photo(person, visit_id, SimpleUploadedFile("p.png", image_bytes("PNG"), content_type="image/png"))
    assert png.status_code == 201, png.content
    # Stored as sent until the worker cleans it: the person sees it being checked.
    assert (taken.json()["status"], png.json()["status"]) == ("pending", "pending")
    assert [check["status"] for check in _photo_checks(person, visit_id)] == ["pending"] * 2
    assert set(run_upload_checks(enterprises.a).values()) == {"ready"}
    assert [check["status"] for check in _photo_checks(person, visit_id)] == ["ready"] * 2
    with schema_context(enterprises.a.schema_name):
        for photo in VisitPhoto.objects.filter(visit_id=visit_id):
            with photo.image.open("rb") as stored:
                content = stored.read()
            # The photo's metadata (EXIF: description, GPS) does not reach storage.
            assert METADATA_MARKER.encode() not in content and b"Exif" not in content
            assert photo.image.name.endswith((".jpg", ".png")) and "photo" not in photo.image.name.rsplit("/", 1)[-1]

    # Someone else's visit is not found; a checked-out visit takes no more photos.
    other = field_worker(enterprises.a)
    other.grant("device.camera")
    assert _photo(other, visit_id, image_upload()).status_code == 404
    person.post(f"{VISITS}/{visit_id}/check-out", {"place": "Gate"})
    assert _photo(person, visit_id, image_upload()).status_code == 409
    with schema_context(enterprises.a.schema_name):
        assert VisitPhoto.objects.filter(visit_id=visit_id).count() == 2


@pytest.mark.promise("A1")
def test_the_visit_log_per_person_and_per_customer(enterprises, customers):
    person, colleague = field_worker(enterprises.a), field_worker(enterprises.a)
    first = person.post(VISITS, {"customer": customers["pearl"], "place": "A"}).json()["id"]
    second = person.post(VISITS, {"customer": customers["river"], "place": "B"}).json()["id"]
    theirs = colleague.post(VISITS, {"customer": customers["pearl"], "place": "C"}).json()["id"]

    mine = person.get(VISITS).json()
    assert [visit["id"] for visit in mine] == [second, first]  # newest first, only one's own
    assert mine[1]["customer"] == {"id": customers["pearl"], "name": "Oriental Pearl Trading",
                                   "address": "1 Century Avenue"}
    assert [visit["id"] for visit in person.get(f"{VISITS}?customer={customers['pearl']}").json()] == [first]
    assert [visit["id"] for visit in colleague.get(VISITS).json()] == [theirs]
    names = [customer["name"] for customer in person.get("/api/v1/field/customers?search=huangpu").json()]
    assert names == ["Huangpu River Supplies"]


@pytest.mark.promise("E6")
def test_every_field_work_endpoint_refuses_a_person_whose_field_visits_application_is_off(enterprises, customers):
    person = field_worker(enterprises.a, with_field_visits=False)
    person.grant("device.location")
    person.grant("device.camera")
    # Every route of fieldwork.api.urls and every method its view answers: a new endpoint that
    # does not go through the field-work base view fails here.
    calls = [(method, reverse(route.name, kwargs={name: 1 for name in route.pattern.converters}))
             for route in fieldwork_api_urls.urlpatterns
             for method in ("get", "post", "put", "patch", "delete") if hasattr(route.callback.view_class, method)]
    assert {path for _method, path in calls} >= {VISITS, "/api/v1/field/reports", "/api/v1/field/customers"}
    for method, path in calls:
        response = getattr(person.client, method)(path, {"customer": customers["pearl"], "place": "Gate",
                                                         "location": GPS}, format="json")
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "application_not_authorised", (method, path)
    with schema_context(enterprises.a.schema_name):
        assert not Visit.objects.filter(person=person.user).exists()

    switched_on = field_worker(enterprises.a)
    assert switched_on.post(VISITS, {"customer": customers["pearl"], "place": "Gate"}).status_code == 201
    assert switched_on.get(VISITS).status_code == 200
