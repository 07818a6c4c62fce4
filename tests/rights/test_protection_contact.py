"""Issue 13, R10: the manager appoints a sub-administrator as the personal-information protection
contact; employees see whom to contact; complaints reach the contact, escalations reach them first."""
from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from audit.models import AuditEntry
from rights import tasks
from rights.models import InboxMessage, RightsRequest
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.orgdata.factories import make_sub_administrator, make_tree
from tests.rights.requesting import employee_signed_in, submit


def _deputies(enterprises, manager):
    with schema_context(enterprises.a.schema_name):
        tree = make_tree()
        first = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="保护人")
        second = make_sub_administrator(departments=[tree["sales"]], manager=manager, name="接任者")
        from orgdata.models import Employee

        Employee.objects.filter(account=first).update(email="bao.hu@example.com")
    return first, second


@pytest.mark.promise("R10")
def test_the_appointed_contact_handles_requests_is_shown_to_employees_and_receives_complaints(
        enterprises, console_as, manager, django_capture_on_commit_callbacks):
    contact, _other = _deputies(enterprises, manager)
    employee = employee_signed_in(enterprises, name="投诉人")
    assert console_as(contact).get("/console/rights/").status_code == 403
    before = employee.client.get("/api/v1/rights/protection-contact").json()
    assert before["is_appointed"] is False

    appointed = console_as(manager).post("/console/rights/protection-contact/",
                                         {"person": contact.pk, "contact_channel": "pi@example.com, 021-5555 0101"})

    assert appointed.status_code == 302
    shown = employee.client.get("/api/v1/rights/protection-contact").json()
    assert shown == {"is_appointed": True, "name": "保护人", "contact_channel": "pi@example.com, 021-5555 0101"}
    assert console_as(contact).get("/console/rights/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        complaint = submit(employee, "complaint", {"text": "My request went unanswered."}).json()
    with schema_context(enterprises.a.schema_name):
        assert InboxMessage.objects.filter(person=contact, request_id=complaint["id"]).exists()
        assert AuditEntry.objects.filter(action="capability_granted", object_id=str(contact.pk)).exists()
        assert AuditEntry.objects.filter(action="create", object_type="rights.protectioncontact").exists()
    assert any(sent.to == ["bao.hu@example.com"] for sent in mail.outbox)
    answered = console_as(contact).post(f"/console/rights/{complaint['id']}/authorise/",
                                        {"answer": "Answered now; sorry for the delay."})
    assert answered.status_code == 302
    assert employee.client.get(f"/api/v1/rights/requests/{complaint['id']}").json()["status"] == "done"


@pytest.mark.promise("R10")
def test_escalations_reach_the_contact_first_and_the_manager_too(enterprises, console_as, manager):
    contact, _other = _deputies(enterprises, manager)
    console_as(manager).post("/console/rights/protection-contact/", {"person": contact.pk, "contact_channel": "ext. 101"})
    employee = employee_signed_in(enterprises, name="等待")
    request_id = submit(employee, "complaint", {"text": "Still waiting."}).json()["id"]

    with schema_context(enterprises.a.schema_name):
        RightsRequest.objects.filter(pk=request_id).update(due_on=date(2026, 1, 5))
        assert tasks.watch_deadlines.apply().get()["escalated"] == 1
        escalations = list(InboxMessage.objects.filter(request_id=request_id, subject_line__startswith="A rights request")
                           .order_by("pk").values_list("person_id", flat=True))
    assert escalations[:2] == [contact.pk, manager.pk]


@pytest.mark.promise("R10")
def test_only_the_manager_appoints_and_a_changed_or_removed_contact_loses_the_queue(enterprises, console_as, manager):
    first, second = _deputies(enterprises, manager)
    employee = employee_signed_in(enterprises, name="旁观")
    assert console_as(first).get("/console/rights/protection-contact/").status_code == 403
    assert console_as(first).post("/console/rights/protection-contact/",
                                  {"person": first.pk, "contact_channel": "me"}).status_code == 403
    not_a_deputy = console_as(manager).post("/console/rights/protection-contact/",
                                            {"person": employee.user.pk, "contact_channel": "x"})
    assert not_a_deputy.status_code == 400

    console = console_as(manager)
    console.post("/console/rights/protection-contact/", {"person": first.pk, "contact_channel": "ext. 101"})
    console.post("/console/rights/protection-contact/", {"person": second.pk, "contact_channel": "ext. 202"})

    assert console_as(first).get("/console/rights/").status_code == 403
    assert console_as(second).get("/console/rights/").status_code == 200
    assert employee.client.get("/api/v1/rights/protection-contact").json()["name"] == "接任者"
    asked = console_as(manager).post("/console/rights/protection-contact/remove/")
    assert asked.status_code == 200 and "Remove 接任者 as the personal information protection contact?" in asked.content.decode()
    assert console_as(second).get("/console/rights/").status_code == 200  # nothing done before the confirmation
    assert console_as(manager).post("/console/rights/protection-contact/remove/", {"confirmed": "yes"}).status_code == 302
    assert console_as(second).get("/console/rights/").status_code == 403
    assert employee.client.get("/api/v1/rights/protection-contact").json()["is_appointed"] is False
    with schema_context(enterprises.a.schema_name):
        withdrawn = AuditEntry.objects.filter(action="capability_withdrawn").values_list("object_id", flat=True)
        assert {str(first.pk), str(second.pk)} <= set(withdrawn)


@pytest.mark.promise("R10")
def test_a_contact_made_a_plain_employee_stops_being_the_contact_for_good(enterprises, console_as, manager):
    contact, _other = _deputies(enterprises, manager)
    employee = employee_signed_in(enterprises, name="看联系人")
    console_as(manager).post("/console/rights/protection-contact/", {"person": contact.pk, "contact_channel": "ext. 101"})

    with schema_context(enterprises.a.schema_name):
        from orgdata.models import Department
        from orgdata.services import administrators

        administrators.remove_sub_administrator(actor=manager, person=contact)
        # Appointed a sub-administrator again: the queue is not given back with it.
        administrators.appoint_sub_administrator(actor=manager, person=contact,
                                                 departments=[Department.objects.get(name="R&D")])

    assert employee.client.get("/api/v1/rights/protection-contact").json()["is_appointed"] is False
    assert console_as(contact).get("/console/rights/").status_code == 403
