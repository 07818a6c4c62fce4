"""A2: the enrolment's embedding is computed on a real Celery worker, queued once the enrolment
commits; the photo is gone afterwards."""
import time

import pytest

from accounts.models import User
from attendance import services as attendance_services
from attendance.models import FaceEnrolment
from consent.services import erasure as consent_erasure
from consent.services import ledger
from tests.accounts.factories import EmployeeAccountFactory
from tests.attendance import face_photos
from tests.committing import committed

pytestmark = pytest.mark.usefixtures("celery_worker")


@pytest.mark.promise("A2")
def test_the_worker_enrols_the_face_once_the_photo_commits_and_discards_the_photo(enterprises):
    schema = enterprises.a.schema_name

    def person_with_face_consent():
        person = EmployeeAccountFactory()
        for code in ("device.camera", "facial_recognition"):
            ledger.grant_consent(actor=person, person=person, purpose_code=code, channel="mobile",
                                 explicit_confirmation=True)
        return person

    person = committed(schema, person_with_face_consent)
    try:
        enrolment = committed(schema, lambda: attendance_services.enrol_face(
            actor=person, person=person, photo=face_photos.upload(face_photos.astronaut())))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = committed(schema, lambda: FaceEnrolment.objects.get(pk=enrolment.pk).status)
            if status != FaceEnrolment.Status.PENDING:
                break
            time.sleep(0.2)
        stored = committed(schema, lambda: FaceEnrolment.objects.get(pk=enrolment.pk))
        assert (stored.status, len(stored.embedding or []), stored.base_photo) == ("enrolled", 128, "")
    finally:
        committed(schema, lambda: _forget(person))


def _forget(person) -> None:
    # Committed for the worker; nothing of it may reach the tests that run later.
    FaceEnrolment.objects.filter(person=person).delete()
    consent_erasure.erase_consent_records_of(person_id=person.pk)
    User.objects.filter(pk=person.pk).delete()
