"""The console's check-in records (A1): filtered by person and date, the location masked (C2)
unless someone who may unmask reveals the page (audited, X2); the manager sees everyone's, a
sub-administrator their departments' people (E5), an employee nothing. The tracking switch is
reachable from the navigation."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from tests.consent.factories import signed_in
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (fixtures: enterprise A)
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

URL = "/console/attendance/records/"
GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}


def _check_ins(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-check-in="(\d+)"', response.content.decode())]


@pytest.fixture
def checked_in(enterprises, in_a, manager, console_as):
    tree = make_tree()
    inside = make_employee(department=tree["backend"], name="内部人", employee_number="ATT1001")
    outside = make_employee(department=tree["east"], name="外部人", employee_number="ATT2002")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    ids = {}
    for key, employee in (("inside", inside), ("outside", outside)):
        person = signed_in(enterprises.a, employee.account)
        assert person.grant("device.location").status_code == 201
        response = person.check_in(location=GPS)
        assert response.status_code == 201, response.content
        ids[key] = response.json()["id"]
    typed = signed_in(enterprises.a, inside.account).check_in(place="客户现场")
    ids["typed"] = typed.json()["id"]
    return {"inside": inside, "outside": outside, "deputy": deputy, "manager": manager, "ids": ids,
            "console_as": console_as}


@pytest.mark.promise("C2")
def test_the_manager_sees_check_ins_with_the_location_masked(checked_in):
    page = checked_in["console_as"](checked_in["manager"]).get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert set(checked_in["ids"].values()) <= set(_check_ins(page))
    assert "31.2304" not in text and "121.4737" not in text and "***" in text
    assert "客户现场" in text and "内部人" in text and "外部人" in text


@pytest.mark.promise("X2")
def test_revealing_the_locations_needs_the_permission_and_is_audited(checked_in):
    manager = checked_in["manager"]
    console = checked_in["console_as"](manager)
    revealed = console.post(URL + "?person=ATT1001", {"action": "reveal"})
    assert revealed.status_code == 200 and "31.2304, 121.4737" in revealed.content.decode()
    assert AuditEntry.objects.filter(action="view_unmasked", actor=f"user:{manager.pk}", object_type="attendance.checkin",
                                     object_id=str(checked_in["ids"]["inside"])).exists()

    deputy = checked_in["deputy"]
    refused = checked_in["console_as"](deputy).post(URL, {"action": "reveal"})
    assert refused.status_code == 403 and "31.2304" not in refused.content.decode()
    deputy.user_permissions.add(Permission.objects.get(codename="unmask_sensitive"))
    trusted = checked_in["console_as"](User.objects.get(pk=deputy.pk)).post(URL, {"action": "reveal"})
    assert trusted.status_code == 200 and checked_in["ids"]["outside"] not in _check_ins(trusted)


def test_filters_by_person_and_date(checked_in):
    console, ids = checked_in["console_as"](checked_in["manager"]), checked_in["ids"]
    assert set(_check_ins(console.get(URL, {"person": "ATT1001"}))) == {ids["inside"], ids["typed"]}
    assert set(_check_ins(console.get(URL, {"person": "外部"}))) == {ids["outside"]}
    today = timezone.localdate()
    assert set(_check_ins(console.get(URL, {"person": "ATT1001", "since": today, "until": today}))) == {
        ids["inside"], ids["typed"]}
    assert _check_ins(console.get(URL, {"person": "ATT1001", "until": today - timedelta(days=1)})) == []


@pytest.mark.parametrize("query, field", [({"since": "31/12/2026"}, "since"), ({"person": "x" * 101}, "person"),
                                          ({"since": "2026-03-02", "until": "2026-03-01"}, "until")])
def test_bad_filters_are_a_400_naming_the_field(checked_in, query, field):
    refused = checked_in["console_as"](checked_in["manager"]).get(URL, query)
    assert refused.status_code == 400 and f'data-testid="error-{field}"' in refused.content.decode()


@pytest.mark.promise("E5")
def test_a_sub_administrator_sees_only_the_people_of_their_departments(checked_in):
    console, ids = checked_in["console_as"](checked_in["deputy"]), checked_in["ids"]
    page = console.get(URL)
    assert page.status_code == 200
    assert set(_check_ins(page)) == {ids["inside"], ids["typed"]} and "外部人" not in page.content.decode()
    assert _check_ins(console.get(URL, {"person": "ATT2002"})) == []


def test_an_employee_is_refused(checked_in):
    refused = checked_in["console_as"](checked_in["inside"].account).get(URL)
    assert refused.status_code in (302, 403) and "客户现场" not in refused.content.decode()


@pytest.mark.promise("C4")
def test_the_navigation_leads_to_the_records_and_the_tracking_switch(checked_in):
    console = checked_in["console_as"](checked_in["manager"])
    dashboard = console.get("/console/").content.decode()
    assert f'href="{URL}" data-testid="nav-attendance"' in dashboard
    records = console.get(URL).content.decode()
    assert 'href="/console/attendance/"' in records
    assert 'data-testid="tracking-switch"' in console.get("/console/attendance/").content.decode()
