"""X5: the telling runs on a real Celery worker, queued by opening the incident once it commits."""
import time

import pytest

from accounts.models import SmsOutboxMessage, User
from incidents import services
from consent.services import erasure as consent_erasure
from incidents.models import Delivery, Incident
from orgdata.models import Employee
from rights.models import InboxMessage
from tests.committing import committed
from tests.orgdata.factories import make_employee

pytestmark = pytest.mark.usefixtures("celery_worker")


@pytest.mark.promise("X5")
def test_the_worker_tells_the_affected_person_and_writes_the_report_once_the_incident_commits(enterprises):
    schema = enterprises.a.schema_name
    person = committed(schema, lambda: make_employee(name="卫工").account)  # reached by text message
    manager = committed(schema, lambda: User.objects.get(role=User.Role.MANAGER))
    incident = committed(schema, lambda: services.open_incident(
        actor=manager, kind="tampering", title="考勤记录被篡改（工作进程）", cause="A leaked administrator password.",
        possible_harm="Wrong pay.", measures_taken="Password reset; records restored.", advice="Check your records.",
        remedies="Pay corrected.", contact="HR desk", audience="list", people=[person]))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = committed(schema, lambda: Incident.objects.get(pk=incident.pk).status)
            if status == Incident.Status.TOLD:
                break
            time.sleep(0.3)
        assert status == Incident.Status.TOLD

        def outcome():
            told = Incident.objects.get(pk=incident.pk)
            channels = set(Delivery.objects.filter(affected__incident=told, status=Delivery.Status.SENT)
                           .values_list("channel", flat=True))
            return (told.affected_count, told.reached_count, told.unreachable_count, bool(told.report_file), channels,
                    InboxMessage.objects.filter(person=person, topic=InboxMessage.Topic.INCIDENT).count(),
                    SmsOutboxMessage.objects.filter(person=person, message_kind="incident_notice").count())

        assert committed(schema, outcome) == (1, 1, 0, True, {"inbox", "sms"}, 1, 1)
    finally:
        committed(schema, lambda: _forget(incident.pk, person))


def _forget(incident_id: int, person) -> None:
    # Committed for the worker; nothing of it may reach the tests that run later (the directory,
    # exports and counts of enterprise A).
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is not None and incident.report_file:
        incident.report_file.delete(save=False)
    Incident.objects.filter(pk=incident_id).delete()
    InboxMessage.objects.filter(person=person).delete()
    SmsOutboxMessage.objects.filter(person=person).delete()
    Employee.objects.filter(account=person).delete()
    consent_erasure.erase_consent_records_of(person_id=person.pk)
    User.objects.filter(pk=person.pk).delete()
