"""Field work is collection (A1): from the cessation's stop date (E10) every visit, photo, report
and customer write is refused, while the person still reads their visits and reports and the
administrator still reads and exports."""
from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from fieldwork.models import Customer, Report, Visit
from tests.fieldwork.factories import GPS, field_worker, image_upload, make_customer
from tests.tenants.test_cessation import _announce, _refused, _the_stop_date_comes, staff  # noqa: F401


@pytest.mark.promise("E10")
@pytest.mark.promise("A1")
def test_after_the_stop_date_field_work_collects_nothing_new(staff, enterprises, client):  # noqa: F811
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        customer = make_customer(actor=manager)
    person = field_worker(enterprises.a)
    person.grant("device.location")
    person.grant("device.camera")
    _announce(staff)
    open_visit = person.post("/api/v1/field/visits", {"customer": customer.pk, "place": "Lobby"})
    assert open_visit.status_code == 201  # before the stop date, as usual
    _the_stop_date_comes()

    visit_id = open_visit.json()["id"]
    writes = [
        person.post("/api/v1/field/visits", {"customer": customer.pk, "location": GPS}),
        person.post(f"/api/v1/field/visits/{visit_id}/check-out", {"place": "Gate"}),
        person.client.post(f"/api/v1/field/visits/{visit_id}/photos", {"image": image_upload()}, format="multipart"),
        person.post("/api/v1/field/reports", {"kind": "daily", "period_start": timezone.localdate().isoformat(),
                                              "body": "Late report", "location": GPS}),
    ]
    assert all(_refused(response) for response in writes), [response.status_code for response in writes]
    assert person.get("/api/v1/field/visits").status_code == 200
    assert person.get("/api/v1/field/reports").status_code == 200

    with schema_context(enterprises.a.schema_name):
        client.force_login(manager)
    client.defaults["HTTP_HOST"] = enterprises.a.host
    assert _refused(client.post("/console/field/customers/", {"name": "After the end"}))
    assert client.get("/console/field/").status_code == 200
    assert client.get("/console/field/reports/export", {"format": "csv"}).status_code == 200
    with schema_context(enterprises.a.schema_name):
        assert Visit.objects.filter(person=person.user).count() == 1
        assert Visit.objects.get(pk=visit_id).checked_out_at is None
        assert not Report.objects.filter(person=person.user).exists()
        assert not Customer.objects.filter(name="After the end").exists()
