import pytest
from django.db import connection
from django.urls import reverse
from django_tenants.utils import schema_context

from accounts.models import User
from attendance import services as attendance_services
from attendance.api import urls as attendance_api_urls
from attendance.models import CheckIn, TrackingPing
from tests.consent.factories import signed_in

GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}


@pytest.mark.promise("A1")
def test_check_in_records_gps_only_with_location_consent_otherwise_a_typed_place(enterprises):
    person = signed_in(enterprises.a)
    refused = person.check_in(location=GPS)
    assert refused.status_code == 403
    assert refused.json() | {"detail": ""} == {"code": "consent_required", "detail": "", "purpose": "device.location",
                                               "missing": ["device.location"]}
    typed = person.check_in(place="Client site, Pudong")
    assert typed.status_code == 201 and typed.json()["place"] == "Client site, Pudong"
    missing = person.check_in()
    assert missing.status_code == 400 and "place" in missing.json()["fields"]
    bad = person.check_in(location={"lat": 123, "lng": 0})
    assert bad.status_code == 400 and "location" in bad.json()["fields"]

    assert person.grant("device.location").status_code == 201
    located = person.post("/api/v1/attendance/check-ins", {"kind": "out", "location": GPS})
    assert located.status_code == 201
    # C2: whereabouts are shown masked, and stored encrypted.
    assert located.json()["location"] == "***" and located.json()["has_location"] is True
    with schema_context(enterprises.a.schema_name):
        stored = CheckIn.objects.get(pk=located.json()["id"])
        assert stored.location == {"lat": 31.2304, "lng": 121.4737, "accuracy": 12.0}
        with connection.cursor() as cursor:
            cursor.execute("SELECT location FROM attendance_checkin WHERE id = %s", [stored.pk])
            raw = cursor.fetchone()[0]
        assert "31.2304" not in raw and "121.4737" not in raw


@pytest.mark.promise("A3")
@pytest.mark.promise("C4")
def test_tracking_pings_need_the_enterprise_switch_and_the_persons_own_consent(enterprises, client):
    person = signed_in(enterprises.a)
    ping = lambda: person.post("/api/v1/attendance/tracking/pings", {"location": GPS})  # noqa: E731

    person.grant("device.location")
    person.grant("location_tracking")
    assert ping().json()["code"] == "tracking_off"  # consent alone is not enough

    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        client.force_login(manager)
    client.defaults["HTTP_HOST"] = enterprises.a.host
    assert client.post("/console/attendance/", {"tracking": "on"}).status_code == 302
    assert ping().status_code == 201

    # The administrator's switch does not consent for anyone.
    other = signed_in(enterprises.a)
    other.grant("device.location")
    refused = other.post("/api/v1/attendance/tracking/pings", {"location": GPS})
    assert refused.status_code == 403 and refused.json()["purpose"] == "location_tracking"
    # Tracking consent needs the location permission first, and withdrawing location stops tracking.
    third = signed_in(enterprises.a)
    assert third.grant("location_tracking").json()["missing"] == ["device.location"]
    person.withdraw("device.location")
    assert ping().status_code == 403
    with schema_context(enterprises.a.schema_name):
        assert TrackingPing.objects.filter(person=person.user).count() == 1


def test_employees_cannot_switch_tracking(enterprises):
    from core.errors import NotPermitted

    person = signed_in(enterprises.a)
    with schema_context(enterprises.a.schema_name), pytest.raises(NotPermitted):
        attendance_services.switch_tracking(actor=person.user, enabled=True)


@pytest.mark.promise("C5")
def test_facial_check_in_needs_separate_biometric_consent_on_top_of_the_camera(enterprises):
    from consent import gate

    person = signed_in(enterprises.a)
    person.grant("device.camera", explicit=False)
    with schema_context(enterprises.a.schema_name):
        assert not gate.may_process(person.user, "facial_recognition")
    assert person.grant("facial_recognition", explicit=False).status_code == 400
    assert person.grant("facial_recognition").status_code == 201
    with schema_context(enterprises.a.schema_name):
        assert gate.may_process(person.user, "facial_recognition")
    person.withdraw("device.camera")
    with schema_context(enterprises.a.schema_name):
        assert not gate.may_process(person.user, "facial_recognition")


@pytest.mark.promise("C4")
def test_only_the_manager_switches_tracking_for_the_whole_enterprise_not_a_sub_administrator(enterprises, client):
    from core.errors import NotPermitted
    from tests.orgdata.factories import make_department, make_sub_administrator

    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        sub_administrator = make_sub_administrator(departments=[make_department("Field sales")], manager=manager)
        with pytest.raises(NotPermitted):
            attendance_services.switch_tracking(actor=sub_administrator, enabled=True)
        assert attendance_services.tracking_settings().is_tracking_enabled is False
        client.force_login(sub_administrator)
    client.defaults["HTTP_HOST"] = enterprises.a.host
    refused = client.post("/console/attendance/", {"tracking": "on"})
    assert refused.status_code == 403
    with schema_context(enterprises.a.schema_name):
        assert attendance_services.tracking_settings().is_tracking_enabled is False
        assert attendance_services.switch_tracking(actor=manager, enabled=True).is_tracking_enabled is True


@pytest.mark.promise("C4")
def test_the_settings_page_offers_the_tracking_switch_to_the_manager_only(enterprises, client):
    from tests.orgdata.factories import make_department, make_sub_administrator

    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        sub_administrator = make_sub_administrator(departments=[make_department("Field service")], manager=manager)
        attendance_services.switch_tracking(actor=manager, enabled=True)
        client.force_login(manager)
    client.defaults["HTTP_HOST"] = enterprises.a.host
    page = client.get("/console/attendance/").content.decode()
    assert 'data-testid="tracking-switch"' in page and 'method="post"' in page.split("<main>")[1]

    with schema_context(enterprises.a.schema_name):
        client.force_login(sub_administrator)
    page = client.get("/console/attendance/").content.decode()
    main = page.split("<main>")[1]
    assert 'data-testid="tracking-switch"' not in main and 'name="tracking"' not in main
    assert 'method="post"' not in main
    state = main.split('data-testid="tracking-state">')[1].split("</p>")[0]
    assert "Location tracking" in state and "on" in state.split(":")[1]
    with schema_context(enterprises.a.schema_name):
        attendance_services.switch_tracking(actor=manager, enabled=False)
    state = client.get("/console/attendance/").content.decode().split('data-testid="tracking-state">')[1]
    assert state.split("</p>")[0].split(":")[1].strip() == "off"


@pytest.mark.promise("C1")
def test_gated_rows_cannot_be_written_in_bulk_or_by_queryset_update_around_the_gate(enterprises):
    from consent.errors import ConsentRequired
    from privacy.fields import sealed_value
    from tests.attendance.factories import make_typed_check_in
    from tests.accounts.factories import EmployeeAccountFactory

    with schema_context(enterprises.a.schema_name):
        person = EmployeeAccountFactory()
        record = make_typed_check_in(person, place="Gate 3")
        with pytest.raises(ConsentRequired):
            CheckIn.objects.bulk_create([CheckIn(person=person, kind="in", place="x", location=GPS)])
        with pytest.raises(ConsentRequired):
            record.location = GPS
            CheckIn.objects.bulk_update([record], ["location"])
        # A sealed token passes the encrypted field's own check; only the gate stops it.
        record.location = GPS
        token = sealed_value(record, "location")
        with pytest.raises(ConsentRequired) as refused:
            CheckIn.objects.filter(pk=record.pk).update(location=token)
        assert refused.value.extra["fields"] == ["location"] and "service" in str(refused.value)
        with pytest.raises(ConsentRequired):
            TrackingPing.objects.filter(person=person).update(location=GPS)
        assert CheckIn.objects.get(pk=record.pk).location is None
        # Fields no purpose covers, and clearing a gated field (erasure), stay possible.
        assert CheckIn.objects.filter(pk=record.pk).update(kind="out") == 1
        assert CheckIn.objects.filter(pk=record.pk).update(location=None) == 1
        assert CheckIn.objects.get(pk=record.pk).kind == "out"


@pytest.mark.promise("A1")
def test_the_check_in_service_itself_refuses_gps_without_consent(enterprises):
    from consent.services import ledger as ledger_services
    from consent.errors import ConsentRequired
    from tests.attendance.factories import make_located_check_in, make_typed_check_in
    from tests.accounts.factories import EmployeeAccountFactory

    with schema_context(enterprises.a.schema_name):
        person = EmployeeAccountFactory()
        with pytest.raises(ConsentRequired):
            make_located_check_in(person)
        assert make_typed_check_in(person).location is None
        ledger_services.grant_consent(actor=person, person=person, purpose_code="device.location", channel="mobile",
                                      explicit_confirmation=True)
        assert make_located_check_in(person).location["lat"] == 31.2304


@pytest.mark.promise("C6")
def test_after_withdrawal_old_records_stay_and_can_be_corrected_but_no_new_location_is_written(enterprises):
    from consent.errors import ConsentRequired

    person = signed_in(enterprises.a)
    person.grant("device.location")
    record_id = person.check_in(location=GPS, place="Lobby").json()["id"]
    person.withdraw("device.location")
    with schema_context(enterprises.a.schema_name):
        record = CheckIn.objects.get(pk=record_id)
        record.place = "Lobby, north gate"
        record.save()  # the location it already holds is not written anew
        record.location = {"lat": 30.0, "lng": 120.0, "accuracy": 5}
        with pytest.raises(ConsentRequired):
            record.save()
        assert CheckIn.objects.get(pk=record_id).location["lat"] == 31.2304


@pytest.mark.promise("E6")
def test_every_attendance_endpoint_refuses_a_person_whose_attendance_application_is_off(enterprises):
    person = signed_in(enterprises.a, with_attendance=False)
    person.grant("device.location")
    person.grant("location_tracking")
    # Every route of attendance.api.urls and every method its view answers: a new endpoint that
    # does not go through the attendance base view fails here.
    calls = [(method, reverse(route.name, kwargs={name: 1 for name in route.pattern.converters}))
             for route in attendance_api_urls.urlpatterns
             for method in ("get", "post", "put", "patch", "delete") if hasattr(route.callback.view_class, method)]
    assert {path for _method, path in calls} >= {"/api/v1/attendance/check-ins", "/api/v1/attendance/tracking/pings"}
    for method, path in calls:
        response = getattr(person.client, method)(path, {"kind": "in", "place": "Gate", "location": GPS},
                                                  format="json")
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "application_not_authorised", (method, path)
    with schema_context(enterprises.a.schema_name):
        assert not CheckIn.objects.filter(person=person.user).exists()

    switched_on = signed_in(enterprises.a)
    assert switched_on.check_in(place="Gate").status_code == 201
    assert switched_on.get("/api/v1/attendance/check-ins").status_code == 200
