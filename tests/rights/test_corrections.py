"""Issue 13, R1/R8: a correction of what the person cannot edit themselves, checked by the address
book's own validator, held encrypted, shown masked where the field is, and applied on an
administrator's approval through the address book's own edit."""
from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from audit.models import AuditEntry
from orgdata import validators
from orgdata.models import Employee
from privacy.registry import personal_fields
from rights.models import RightsRequest
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.orgdata.factories import make_tree, resident_id
from tests.rights.requesting import employee_signed_in, inbox_of, submit

NEW_ID = resident_id(birth=date(1988, 5, 20), sequence=431)


@pytest.mark.promise("R1")
def test_a_field_the_person_edits_themselves_is_refused_pointing_to_the_profile_screen(enterprises):
    person = employee_signed_in(enterprises, name="自己改")

    own = submit(person, "correction", {"field": "email", "correct_value": "zi.ji@example.com"})
    unknown = submit(person, "correction", {"field": "salary", "correct_value": "a lot"})

    assert own.status_code == 400
    assert "profile screen" in own.json()["fields"]["details.field"][0]
    assert unknown.status_code == 400 and "employee_number" in unknown.json()["fields"]["details.field"][0]
    with schema_context(enterprises.a.schema_name):
        assert not RightsRequest.objects.filter(person=person.user).exists()


@pytest.mark.promise("R1")
@pytest.mark.promise("R8")
def test_the_value_is_refused_by_the_same_validator_the_address_book_uses(enterprises):
    person = employee_signed_in(enterprises, name="校验")
    broken = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")  # a wrong check character (GB 11643)

    refused = submit(person, "correction", {"field": "id_number", "correct_value": broken})
    bad_date = submit(person, "correction", {"field": "entry_date", "correct_value": "2026-13-45"})

    with pytest.raises(ValidationError) as address_book_refusal:
        validators.normalize_resident_id(broken)
    assert refused.status_code == 400
    assert refused.json()["fields"]["details.correct_value"] == address_book_refusal.value.messages
    assert bad_date.status_code == 400 and "details.correct_value" in bad_date.json()["fields"]
    with schema_context(enterprises.a.schema_name):
        assert not RightsRequest.objects.filter(person=person.user).exists()


@pytest.mark.promise("R1")
@pytest.mark.promise("R8")
def test_an_id_number_correction_is_held_encrypted_shown_masked_and_applied_on_approval(
        enterprises, console_as, manager):
    person = employee_signed_in(enterprises, name="更正", id_number=resident_id(birth=date(1988, 5, 20), sequence=12))

    created = submit(person, "correction", {"field": "id_number", "correct_value": NEW_ID.lower(),
                                            "note": "One digit was mistyped."})

    assert created.status_code == 201, created.content
    body = created.json()
    assert NEW_ID not in str(body) and body["correct_value"] == f"{NEW_ID[:4]}{'*' * 10}{NEW_ID[-4:]}"
    with schema_context(enterprises.a.schema_name):
        with connection.cursor() as cursor:
            cursor.execute("SELECT correct_value::text, details::text FROM rights_rightsrequest WHERE id = %s", [body["id"]])
            stored = " ".join(cursor.fetchone())
        assert NEW_ID not in stored and NEW_ID.lower() not in stored  # X1: encrypted at rest
        assert personal_fields(RightsRequest)["correct_value"].is_sensitive  # C2: as the ID number is
    console = console_as(manager)
    queue = console.get("/console/rights/?kind=correction").content.decode()
    page = console.get(f"/console/rights/{body['id']}/").content.decode()
    assert NEW_ID not in queue and NEW_ID not in page
    assert f"{NEW_ID[:4]}{'*' * 10}{NEW_ID[-4:]}" in queue

    revealed = console.post(f"/console/rights/{body['id']}/correct-value/")
    assert NEW_ID in revealed.content.decode()
    corrected = console.post(f"/console/rights/{body['id']}/authorise/", {"answer": ""})

    assert corrected.status_code == 302
    shown = person.client.get(f"/api/v1/rights/requests/{body['id']}").json()
    assert shown["status"] == "done" and [step["event"] for step in shown["history"]] == ["submitted", "corrected"]
    assert any("Resident ID number was corrected" in message for message in inbox_of(person))
    with schema_context(enterprises.a.schema_name):
        assert Employee.objects.get(account=person.user).id_number == NEW_ID
        employee_pk = Employee.objects.get(account=person.user).pk
        assert AuditEntry.objects.filter(action="update", object_type="orgdata.employee", object_id=str(employee_pk),
                                         changed_fields__contains=["id_number"], actor=f"user:{manager.pk}").exists()
        assert AuditEntry.objects.filter(action="correction_applied", object_id=str(body["id"]),
                                         changed_fields=["id_number"]).exists()
        assert AuditEntry.objects.filter(action="view_unmasked", object_type="rights.rightsrequest",
                                         object_id=str(body["id"])).exists()
        logged = " ".join(str(row) for row in AuditEntry.objects.values_list("changed_fields", "object_id", "action"))
        assert NEW_ID not in logged
        assert all(NEW_ID not in event.note for event in RightsRequest.objects.get(pk=body["id"]).events.all())


@pytest.mark.promise("R1")
def test_a_department_correction_names_the_department_and_is_made_by_the_administrator(
        enterprises, console_as, manager):
    with schema_context(enterprises.a.schema_name):
        tree = make_tree()
    person = employee_signed_in(enterprises, name="调岗", department=tree["east"])

    unknown = submit(person, "correction", {"field": "department", "correct_value": "HQ / Nowhere"})
    created = submit(person, "correction", {"field": "department", "correct_value": "HQ / R&D / Back end"})

    assert unknown.status_code == 400 and "details.correct_value" in unknown.json()["fields"]
    assert created.status_code == 201, created.content
    assert console_as(manager).post(f"/console/rights/{created.json()['id']}/authorise/",
                                    {"answer": "Moved as of this month."}).status_code == 302
    with schema_context(enterprises.a.schema_name):
        assert Employee.objects.get(account=person.user).department_id == tree["backend"].pk


@pytest.mark.promise("R1")
def test_the_protection_contact_corrects_only_records_of_their_own_departments(enterprises, console_as, manager):
    with schema_context(enterprises.a.schema_name):
        from tests.orgdata.factories import make_sub_administrator

        tree = make_tree()
        contact = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="研发负责人")
    assert console_as(manager).post("/console/rights/protection-contact/",
                                    {"person": contact.pk, "contact_channel": "ext. 7"}).status_code == 302
    person = employee_signed_in(enterprises, name="销售员", department=tree["east"], employee_number="S-001")
    request_id = submit(person, "correction", {"field": "employee_number", "correct_value": "S-010"}).json()["id"]

    outside = console_as(contact).post(f"/console/rights/{request_id}/authorise/", {"answer": ""})

    assert outside.status_code == 400 and "outside your departments" in outside.content.decode()
    assert console_as(manager).post(f"/console/rights/{request_id}/authorise/", {"answer": ""}).status_code == 302
    with schema_context(enterprises.a.schema_name):
        assert Employee.objects.get(account=person.user).employee_number == "S-010"
