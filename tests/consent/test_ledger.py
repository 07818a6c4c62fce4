import json

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from consent import gate
from consent.services import catalogue as catalogue_services
from consent.services import erasure as erasure_services
from consent.services import ledger as ledger_services
from consent.services import legal_bases as legal_basis_services
from consent.models import ConsentEvent, Purpose
from tests.consent.factories import signed_in
from tests.policies.factories import PolicyVersionFactory
from tests.orgdata.factories import TEST_SETUP


@pytest.mark.promise("C6")
def test_events_record_channel_device_address_and_policy_version_and_the_database_refuses_changes(enterprises):
    with schema_context("public"):
        version = PolicyVersionFactory(version="2026.1", days_ago=10)
    person = signed_in(enterprises.a)
    assert person.grant("device.contacts", explicit=False).status_code == 201
    with schema_context(enterprises.a.schema_name):
        event = ConsentEvent.objects.get(person=person.user)
        assert (event.action, event.purpose.code, event.channel) == ("granted", "device.contacts", "mobile")
        assert event.device_id == person.device_id and event.ip_address == "203.0.113.7"
        assert (event.policy_version_id, event.policy_version_label) == (version.pk, "2026.1")
        for statement in ("UPDATE consent_consentevent SET action = 'withdrawn' WHERE id = %s",
                          "DELETE FROM consent_consentevent WHERE id = %s"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement, [event.pk])
        assert ConsentEvent.objects.get(pk=event.pk).action == "granted"


@pytest.mark.promise("C6")
def test_a_consent_receipt_can_be_downloaded_for_my_events_only(enterprises):
    person, other = signed_in(enterprises.a), signed_in(enterprises.a)
    event_id = person.grant("sensitive.bank_account").json()["id"]
    response = person.get(f"/api/v1/consent/receipts/{event_id}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="consent-receipt-{event_id}.json"'
    receipt = json.loads(response.content)
    assert receipt["action"] == "granted" and receipt["purpose"]["code"] == "sensitive.bank_account"
    assert receipt["purpose"]["is_sensitive"] is True
    assert receipt["channel"] == "mobile" and receipt["device_id"] == person.device_id and len(receipt["digest"]) == 64
    assert other.get(f"/api/v1/consent/receipts/{event_id}").status_code == 404


@pytest.mark.promise("C2")
def test_sensitive_purposes_need_separate_explicit_confirmation_and_are_marked(enterprises):
    person = signed_in(enterprises.a)
    refused = person.grant("sensitive.id_number", explicit=False)
    assert refused.status_code == 400 and "explicit_confirmation" in refused.json()["fields"]
    assert person.grant("sensitive.id_number", explicit=True).status_code == 201
    purposes = {p["code"]: p for p in person.get("/api/v1/consent/purposes").json()}
    for code in ("sensitive.id_number", "sensitive.bank_account", "sensitive.property", "sensitive.transactions",
                 "device.location", "location_tracking", "facial_recognition"):
        assert purposes[code]["is_sensitive"] is True and purposes[code]["needs_explicit_confirmation"] is True
    assert purposes["sensitive.id_number"]["has_consented"] is True
    assert purposes["sensitive.bank_account"]["has_consented"] is False


@pytest.mark.promise("C3")
def test_every_device_permission_has_a_stated_purpose_is_off_by_default_and_can_be_revoked(enterprises):
    person = signed_in(enterprises.a)
    purposes = {p["code"]: p for p in person.get("/api/v1/consent/purposes").json()}
    permissions = ["location", "contacts", "camera", "microphone", "calendar", "storage", "phone_call",
                   "installed_apps", "identifiers"]
    for name in permissions:
        row = purposes[f"device.{name}"]
        assert row["kind"] == "device_permission" and row["statement"] and row["has_consented"] is False
    additional = [p for p in purposes.values() if not p["is_basic"]]
    assert additional and not any(p["has_consented"] for p in additional)
    assert purposes["basic_service"]["has_consented"] is True
    person.grant("device.microphone", explicit=False)
    person.withdraw("device.microphone")
    purposes = {p["code"]: p for p in person.get("/api/v1/consent/purposes").json()}
    assert purposes["device.microphone"]["has_consented"] is False


@pytest.mark.promise("C7")
def test_a_new_purpose_has_nobody_consenting_and_a_changed_purpose_voids_earlier_consent(enterprises):
    person = signed_in(enterprises.a)
    person.grant("device.calendar", explicit=False)
    with schema_context(enterprises.a.schema_name):
        purpose = catalogue_services.add_purpose(
            actor=TEST_SETUP, code="feature.visit_photos", kind=Purpose.Kind.FEATURE, name_en="Visit photos",
            name_zh_hans="拜访照片",
            statement_en="Attach photos to customer visits.", statement_zh_hans="为客户拜访附加照片。",
            covers=["attendance.CheckIn.location"])
        assert purpose.revision == 1
        assert not gate.may_process(person.user, "feature.visit_photos")
        assert gate.may_process(person.user, "device.calendar")
        calendar = Purpose.objects.get(code="device.calendar")
        calendar.statement_en += " Also to suggest meeting times."
        calendar.revision += 1
        calendar.save()
        assert not gate.may_process(person.user, "device.calendar")
    purposes = {p["code"]: p for p in person.get("/api/v1/consent/purposes").json()}
    assert purposes["feature.visit_photos"]["has_consented"] is False
    with schema_context(enterprises.a.schema_name):
        # The catalogue never retires a function's own purpose.
        catalogue_services.sync_purpose_catalogue(actor=catalogue_services.CATALOGUE_SYNC)
        assert Purpose.objects.get(code="feature.visit_photos").is_active
    assert purposes["device.calendar"]["has_consented"] is False


def test_adding_a_purpose_refuses_undeclared_fields(enterprises):
    from django.core.exceptions import ValidationError

    with schema_context(enterprises.a.schema_name), pytest.raises(ValidationError) as refused:
        catalogue_services.add_purpose(actor=TEST_SETUP, code="feature.x", kind="feature", name_en="X",
                                       name_zh_hans="X", statement_en="X", statement_zh_hans="X",
                                       covers=["attendance.CheckIn.kind"])
    assert "covers" in refused.value.message_dict


@pytest.mark.promise("C7")
def test_adding_a_purpose_refuses_fields_the_gate_does_not_guard_and_unknown_required_purposes(enterprises):
    from django.core.exceptions import ValidationError

    person = signed_in(enterprises.a)
    new_function = dict(kind="feature", name_en="X", name_zh_hans="X", statement_en="X", statement_zh_hans="X")
    with schema_context(enterprises.a.schema_name):
        with pytest.raises(ValidationError) as refused:
            # Declared in the registry, but nothing refuses writing it without consent.
            catalogue_services.add_purpose(actor=TEST_SETUP, code="feature.wechat",
                                           covers=["orgdata.Employee.wechat_id"], **new_function)
        assert set(refused.value.message_dict) == {"covers"}
        assert "orgdata.Employee.wechat_id" in refused.value.message_dict["covers"][0]
        with pytest.raises(ValidationError) as refused:
            catalogue_services.add_purpose(actor=TEST_SETUP, code="feature.radar",
                                           requires=["device.location", "device.radar"], **new_function)
        assert set(refused.value.message_dict) == {"requires"}
        assert "device.radar" in refused.value.message_dict["requires"][0]
        assert not Purpose.objects.filter(code__in=["feature.wechat", "feature.radar"]).exists()
    # Nothing was added that would make the gate fail for everyone asking about purposes.
    assert person.get("/api/v1/consent/purposes").status_code == 200


@pytest.mark.promise("C7")
def test_a_purpose_added_at_runtime_is_enforced_on_the_further_field_it_covers(enterprises):
    from consent.errors import ConsentRequired
    from tests.attendance.factories import make_typed_check_in

    person = signed_in(enterprises.a)
    assert person.check_in(place="Gate 1").status_code == 201
    with schema_context(enterprises.a.schema_name):
        catalogue_services.add_purpose(
            actor=TEST_SETUP, code="feature.visit_places", kind=Purpose.Kind.FEATURE, name_en="Visit places",
            name_zh_hans="拜访地点",
            statement_en="Record the places you visit.", statement_zh_hans="记录您拜访的地点。",
            covers=["attendance.CheckIn.place"])
        with pytest.raises(ConsentRequired):
            make_typed_check_in(person.user, place="Client site")
    refused = person.check_in(place="Gate 1")
    assert refused.status_code == 403 and refused.json()["missing"] == ["feature.visit_places"]
    assert person.grant("feature.visit_places", explicit=False).status_code == 201
    assert person.check_in(place="Gate 1").status_code == 201


@pytest.mark.promise("C12")
def test_recording_a_legal_basis_for_an_unknown_purpose_is_a_field_error(enterprises):
    from django.core.exceptions import ValidationError

    from consent.models import LegalBasisRecord

    with schema_context(enterprises.a.schema_name):
        person = signed_in(enterprises.a).user
        with pytest.raises(ValidationError) as refused:
            legal_basis_services.record_legal_basis(actor=TEST_SETUP, person=person, purpose_code="no.such.purpose",
                                                    basis="legal_obligation", reference="Order 7")
        assert set(refused.value.message_dict) == {"purpose_code"}
        assert not LegalBasisRecord.objects.filter(person=person).exists()


def test_the_catalogue_is_seeded_in_every_enterprise_and_sync_is_idempotent(enterprises):
    from consent.catalogue import ALL_PURPOSES

    for each in (enterprises.a, enterprises.b):
        with schema_context(each.schema_name):
            assert set(Purpose.objects.values_list("code", flat=True)) >= {p.code for p in ALL_PURPOSES}
            assert catalogue_services.sync_purpose_catalogue(actor=catalogue_services.CATALOGUE_SYNC) == {
                "added": 0, "revised": 0, "retired": 0}
            assert Purpose.objects.get(code="location_tracking").covers == ["attendance.TrackingPing.location"]


@pytest.mark.promise("C6")
def test_an_administrator_records_an_answer_at_the_persons_request_and_is_named(enterprises):
    from django.core.exceptions import ValidationError

    from accounts.models import User
    from core.errors import NotPermitted

    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        person = signed_in(enterprises.a).user
        on_request = {"person": person, "purpose_code": "device.storage", "channel": "admin_on_request"}
        with pytest.raises(ValidationError):  # system work names no administrator
            ledger_services.withdraw_consent(actor=TEST_SETUP, request_reference="form 2026-7", **on_request)
        with pytest.raises(NotPermitted):  # only an administrator records an answer on request
            ledger_services.withdraw_consent(actor=person, request_reference="form 2026-7", **on_request)
        with pytest.raises(TypeError, match="actor is required"):
            ledger_services.withdraw_consent(actor=None, request_reference="form 2026-7", **on_request)
        with pytest.raises(ValidationError) as missing_reference:
            ledger_services.withdraw_consent(actor=manager, **on_request)
        assert "request_reference" in missing_reference.value.message_dict
        event = ledger_services.grant_consent(actor=manager, request_reference=" form 2026-7 ", **on_request)
        assert event.channel == "admin_on_request" and event.recorded_by == manager
        assert event.request_reference == "form 2026-7"


@pytest.mark.promise("C13")
def test_personalised_push_and_marketing_are_off_by_default_and_can_be_left_at_any_time(enterprises):
    person = signed_in(enterprises.a)
    purposes = {p["code"]: p for p in person.get("/api/v1/consent/purposes").json()}
    assert purposes["personalised_push"]["has_consented"] is False
    assert purposes["marketing_messages"]["has_consented"] is False
    person.grant("marketing_messages", explicit=False)
    assert person.withdraw("marketing_messages").status_code == 201
    with schema_context(enterprises.a.schema_name):
        assert not gate.may_process(person.user, "marketing_messages")


def test_only_lawful_erasure_of_a_person_deletes_their_consent_records(enterprises):
    person, other = signed_in(enterprises.a), signed_in(enterprises.a)
    person.grant("device.location")
    other.grant("device.location")
    with schema_context(enterprises.a.schema_name):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM consent_consentevent WHERE person_id = %s", [person.user.pk])
        assert erasure_services.erase_consent_records_of(person_id=person.user.pk) == 1
        assert not ConsentEvent.objects.filter(person=person.user).exists()
        assert ConsentEvent.objects.filter(person=other.user).count() == 1
        with pytest.raises(DatabaseError), transaction.atomic():  # the switch was only for that transaction
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM consent_consentevent WHERE person_id = %s", [other.user.pk])
