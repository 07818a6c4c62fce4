"""The console's audit log (X4): the manager reads who did what to which record, filtered and
paginated, and sees whether the chain verifies; the log shows field names, never a value.
Sub-administrators and employees are refused (`see_audit_log`)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Invitation
from audit import services as audit_services
from audit.models import AuditEntry
from tests.audit.test_chain import _as_tamperer, _record_some
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (fixtures: the log of enterprise A)
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

URL = "/console/audit/"


def _entry_ids(response) -> list[int]:
    import re

    return [int(found) for found in re.findall(r'data-entry="(\d+)"', response.content.decode())]


@pytest.fixture
def logged(in_a, manager, console_as):
    person = make_employee(name="审计对象", employee_number="AUD-1")
    bystander = make_employee(name="旁观者", employee_number="AUD-2")
    console = console_as(manager)
    edited = console.post(f"/console/organisation/employees/{person.pk}/edit/", {
        "display_name": "审计对象", "employee_number": "AUD-1", "work_status": person.work_status, "title": "秘密头衔"})
    assert edited.status_code == 302
    return {"person": person, "bystander": bystander, "console": console, "manager": manager}


@pytest.mark.promise("X4")
def test_the_manager_reads_who_changed_which_fields_never_the_values(logged):
    page = logged["console"].get(URL)
    text = page.content.decode()
    assert page.status_code == 200
    change = AuditEntry.objects.filter(actor=f"user:{logged['manager'].pk}", object_type="orgdata.employee",
                                       object_id=str(logged["person"].pk), action="update").get()
    assert change.id in _entry_ids(page)
    assert "title" in change.changed_fields and "秘密头衔" not in text  # the field's name, never its value
    assert logged["manager"].display_name in text  # the actor reference resolved to a name


def test_filters_by_person_actor_action_and_time(logged):
    console, person, manager = logged["console"], logged["person"], logged["manager"]
    about = _entry_ids(console.get(URL, {"person": person.account_id}))
    expected = set(AuditEntry.objects.filter(object_type="orgdata.employee", object_id=str(person.pk))
                   .values_list("id", flat=True))
    expected |= set(AuditEntry.objects.filter(object_type="accounts.user", object_id=str(person.account_id))
                    .values_list("id", flat=True))
    # Adding them made their activation link (issue 14): a row about them too.
    invitations = [str(pk) for pk in Invitation.objects.filter(person_id=person.account_id).values_list("pk", flat=True)]
    expected |= set(AuditEntry.objects.filter(object_type="accounts.invitation", object_id__in=invitations)
                    .values_list("id", flat=True))
    assert expected and set(about) == expected
    bystander = logged["bystander"]
    assert not AuditEntry.objects.filter(id__in=about, object_type="orgdata.employee", object_id=str(bystander.pk)).exists()
    assert not AuditEntry.objects.filter(id__in=about, object_type="accounts.user",
                                         object_id=str(bystander.account_id)).exists()

    by_manager = _entry_ids(console.get(URL, {"actor": manager.pk}))
    assert by_manager and set(AuditEntry.objects.filter(id__in=by_manager).values_list("actor", flat=True)) == {
        f"user:{manager.pk}"}
    updates = _entry_ids(console.get(URL, {"action": "update", "person": person.account_id}))
    assert updates and set(AuditEntry.objects.filter(id__in=updates).values_list("action", flat=True)) == {"update"}

    today = timezone.localdate()
    assert set(_entry_ids(console.get(URL, {"person": person.account_id, "since": today, "until": today}))) == expected
    assert _entry_ids(console.get(URL, {"person": person.account_id, "until": today - timedelta(days=1)})) == []
    assert _entry_ids(console.get(URL, {"person": person.account_id, "since": today + timedelta(days=1)})) == []


def test_the_log_is_paginated_newest_first(logged):
    _record_some(60)
    first, second = logged["console"].get(URL), logged["console"].get(URL, {"page": 2})
    assert len(_entry_ids(first)) == 50 and _entry_ids(first) == sorted(_entry_ids(first), reverse=True)
    assert _entry_ids(second) and max(_entry_ids(second)) < min(_entry_ids(first))
    assert "Page 1 of" in first.content.decode()


@pytest.mark.promise("X4")
def test_the_page_shows_whether_the_chain_verifies_and_the_latest_checkpoint(logged):
    console = logged["console"]
    checkpoint = audit_services.record_chain_checkpoint(actor=audit_services.CHAIN_CHECKPOINTING)
    page = console.get(URL, {"verify": "1"}).content.decode()
    if checkpoint is not None:
        assert f"Latest checkpoint: entry #{checkpoint.head_id}" in page and "Its signature is valid." in page
    assert 'data-intact="yes"' in page and "The chain verifies" in page

    [entry_id] = _record_some(1)
    _as_tamperer("UPDATE audit_entry SET action = 'login' WHERE id = %s", [entry_id])
    page = console.get(URL, {"verify": "1"}).content.decode()
    assert 'data-intact="no"' in page and f"it breaks at entry #{entry_id}" in page


@pytest.mark.parametrize("query, field", [
    ({"since": "yesterday"}, "since"), ({"person": "abc"}, "person"), ({"person": "-3"}, "person"),
    ({"actor": "<script>"}, "actor"), ({"action": "DROP TABLE"}, "action"), ({"since": "2026-02-02", "until": "2026-02-01"}, "until"),
    ({"person": "9" * 30}, "person"), ({"actor": "system:" + "x" * 200}, "actor"),
])
def test_bad_filters_are_a_400_naming_the_field(logged, query, field):
    refused = logged["console"].get(URL, query)
    assert refused.status_code == 400
    assert f'data-testid="error-{field}"' in refused.content.decode()


def test_a_control_character_is_refused_before_the_page(logged):
    assert logged["console"].get(URL, {"actor": "user:\x00"}).status_code == 400


def test_a_sub_administrator_and_an_employee_are_refused(in_a, manager, console_as, client):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    assert console_as(deputy).get(URL).status_code == 403
    assert 'data-testid="nav-audit"' not in console_as(deputy).get("/console/").content.decode()
    employee = make_employee(department=tree["backend"]).account
    refused = console_as(employee).get(URL)
    assert refused.status_code in (302, 403) and "audit-log" not in refused.content.decode()


def test_the_navigation_leads_the_manager_to_the_log(logged):
    assert 'data-testid="nav-audit"' in logged["console"].get("/console/").content.decode()


def test_an_employees_page_leads_to_the_entries_about_them(logged):
    page = logged["console"].get(f"/console/organisation/employees/{logged['person'].pk}/").content.decode()
    assert f'href="/console/audit/?person={logged["person"].account_id}" data-testid="person-audit-link"' in page
