"""An administrator records, on the person's own documented request, an answer given outside the
app (channel "admin_on_request"): scoped like the employee's page, and a withdrawal recorded this
way stops the dependent processing at the person's very next request (C6)."""
import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from consent.models import ConsentEvent
from tests.consent.factories import signed_in
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

pytestmark = pytest.mark.promise("C6")

GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}
ON_REQUEST = {"purpose": "device.location", "action": "grant", "reference": "signed form 2026-118",
              "confirmed": "on"}


@pytest.fixture
def people(enterprises):
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        tree = make_tree()
        yield {"inside": make_employee(department=tree["backend"], name="内部人"),
               "outside": make_employee(department=tree["east"], name="外部人"),
               "deputy": make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员"),
               "manager": manager}


def _page(employee) -> str:
    return f"/console/privacy/people/{employee.account_id}/"


def _events_of(employee):
    return ConsentEvent.objects.filter(person=employee.account, purpose__isnull=False).order_by("id")


def _row(page: str, code: str) -> str:
    return page.split(f'data-purpose="{code}"')[1].split("</tr>")[0]


def test_the_manager_records_a_grant_at_the_persons_request(people, console_as):
    employee, manager = people["inside"], people["manager"]
    console = console_as(manager)
    detail = console.get(f"/console/organisation/employees/{employee.pk}/").content.decode()
    assert f'href="{_page(employee)}"' in detail

    before = console.get(_page(employee)).content.decode()
    assert "Not granted" in _row(before, "device.location") and 'data-purpose="basic_service"' not in before

    response = console.post(_page(employee), ON_REQUEST)
    assert response.status_code == 302 and response["Location"] == _page(employee)
    [event] = _events_of(employee)
    assert (event.action, event.purpose.code, event.channel, event.recorded_by) == (
        ConsentEvent.Action.GRANTED, "device.location", ConsentEvent.Channel.ADMIN_ON_REQUEST, manager)
    assert event.request_reference == ON_REQUEST["reference"]
    after = console.get(_page(employee)).content.decode()
    assert "Granted" in _row(after, "device.location") and "Not granted" not in _row(after, "device.location")
    # The page shows what the person sees about themselves, not the ledger's details.
    assert event.digest not in after and "admin_on_request" not in after


def test_a_withdrawal_recorded_on_request_refuses_the_persons_next_gated_request(people, console_as, enterprises):
    employee = people["inside"]
    person = signed_in(enterprises.a, user=employee.account)
    assert person.grant("device.location").status_code == 201
    assert person.check_in(location=GPS).status_code == 201

    console = console_as(people["manager"])
    withdrawn = console.post(_page(employee), {**ON_REQUEST, "action": "withdraw"})
    assert withdrawn.status_code == 302

    with schema_context(enterprises.a.schema_name):
        latest = _events_of(employee).last()
        assert (latest.action, latest.channel) == (ConsentEvent.Action.WITHDRAWN,
                                                   ConsentEvent.Channel.ADMIN_ON_REQUEST)
    refused = person.check_in(location=GPS)
    assert refused.status_code == 403 and refused.json()["purpose"] == "device.location"
    # The answer the person gave in the app before stays in the ledger (C6: not undone).
    with schema_context(enterprises.a.schema_name):
        assert [event.channel for event in _events_of(employee)] == ["mobile", "admin_on_request"]


def test_a_sub_administrator_records_inside_their_departments_only(people, console_as):
    console = console_as(people["deputy"])
    outside, inside = people["outside"], people["inside"]
    assert console.get(_page(outside)).status_code == 404
    refused = console.post(_page(outside), ON_REQUEST)
    assert refused.status_code == 404 and "外部人" not in refused.content.decode()
    assert not _events_of(outside).exists()
    assert console.get("/console/privacy/people/999999/").status_code == 404
    assert console.get("/console/privacy/employees/999999/").status_code == 404

    assert console.get(_page(inside)).status_code == 200
    # The page's earlier address, by employee record, still leads there, in scope only.
    assert console.get(f"/console/privacy/employees/{outside.pk}/").status_code == 404
    assert console.get(f"/console/privacy/employees/{inside.pk}/")["Location"] == _page(inside)
    assert console.post(_page(inside), ON_REQUEST).status_code == 302
    assert _events_of(inside).get().recorded_by == people["deputy"]


def test_an_employee_cannot_open_the_page(people, console_as):
    someone = make_employee(name="普通员工").account
    assert someone.role == User.Role.EMPLOYEE
    assert console_as(someone).get(_page(people["inside"])).status_code == 403
    assert console_as(someone).post(_page(people["inside"]), ON_REQUEST).status_code == 403
    assert not _events_of(people["inside"]).exists()


@pytest.mark.parametrize("change, field, message", [
    ({"purpose": "no.such.purpose"}, "purpose", "No such purpose."),
    ({"purpose": "basic_service"}, "purpose", "Basic services need no separate consent."),
    ({"purpose": ""}, "purpose", "This field is required."),
    ({"reference": "  "}, "reference", "This field is required."),
    ({"reference": "form of 13912345678"}, "reference", "not a mobile or ID number"),
    ({"confirmed": ""}, "confirmed", "Confirm that the person asked for this themselves."),
    ({"action": "erase"}, "action", "Select a valid choice."),
    ({"purpose": "location_tracking"}, "purpose", "Record consent to what this purpose needs first: Location."),
])
def test_bad_input_is_shown_on_the_form_and_records_nothing(people, console_as, change, field, message):
    employee = people["inside"]
    response = console_as(people["manager"]).post(_page(employee), {**ON_REQUEST, **change})
    assert response.status_code == 200
    page = response.content.decode()
    errors = [part.split("</span>")[0] for part in page.split(f'data-field="{field}">')[1:]]
    assert any(message in error for error in errors), page
    assert not _events_of(employee).exists()
