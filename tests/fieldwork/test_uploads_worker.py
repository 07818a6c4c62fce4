"""A1 with a real Celery worker: a visit photo's commit queues its check (an enterprise task, stamped
with the schema), and the worker re-encodes it without metadata or refuses it with its reason."""
from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from consent.services import ledger
from fieldwork import services
from fieldwork.models import Customer, Visit, VisitPhoto
from tests.accounts.factories import EmployeeAccountFactory
from tests.committing import committed
from tests.fieldwork import hostile_images
from tests.fieldwork.factories import METADATA_MARKER, image_bytes

pytestmark = pytest.mark.usefixtures("celery_worker")


def _settled(schema, photo_ids, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        photos = committed(schema, lambda: list(VisitPhoto.objects.filter(pk__in=photo_ids)))
        if all(photo.status != "pending" for photo in photos):
            return {photo.pk: photo for photo in photos}
        time.sleep(0.2)
    raise AssertionError("the worker did not check the photos in time")


@pytest.mark.promise("A1")
def test_the_worker_cleans_or_refuses_visit_photos_once_they_commit(enterprises):
    schema = enterprises.a.schema_name

    def visit_with_camera_consent():
        person = EmployeeAccountFactory()
        ledger.grant_consent(actor=person, person=person, purpose_code="device.camera", channel="mobile",
                             explicit_confirmation=True)
        manager = User.objects.get(role=User.Role.MANAGER)
        customer = services.add_customer(actor=manager, name=f"Worker test customer {person.pk}")
        return person, services.check_in_visit(actor=person, customer_id=customer.pk, place="Shop floor")

    person, visit = committed(schema, visit_with_camera_consent)
    fine = committed(schema, lambda: services.add_visit_photo(
        actor=person, visit_id=visit.pk, image=SimpleUploadedFile("fine.jpg", image_bytes())))
    bomb = committed(schema, lambda: services.add_visit_photo(
        actor=person, visit_id=visit.pk, image=SimpleUploadedFile("bomb.png", hostile_images.png_bomb())))
    try:
        checked = _settled(schema, [fine.pk, bomb.pk])
        assert (checked[fine.pk].status, checked[bomb.pk].status) == ("ready", "refused")
        assert checked[bomb.pk].refusal == "The image could not be read; upload it again."
        content = committed(schema, lambda: checked[fine.pk].image.open("rb").read())
        assert content.startswith(b"\xff\xd8") and METADATA_MARKER.encode() not in content
    finally:
        def forget():
            for photo in VisitPhoto.objects.filter(visit_id=visit.pk):
                photo.delete()
            Visit.objects.filter(pk=visit.pk).delete()
            Customer.objects.filter(pk=visit.customer_id).delete()

        committed(schema, forget)
