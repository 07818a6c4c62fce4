"""Confirmation before anything destructive or wide-reaching (issue 14): the console asks first,
naming what will happen and to how many people; only the confirmation page's own form (which carries
the confirmation flag) does it; the success message says what was done."""
import html

import pytest

from accounts.models import User
from orgdata.models import Application, ApplicationSwitch, Department, Employee, Position
from orgdata.services import positions as position_services
from tests.forms_on_page import form_data
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree


def _asked(response) -> str:
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and 'data-testid="confirmation"' in page
    assert 'class="danger"' in page
    return page


def _confirm(console, response, path):
    """Press the confirmation page's button: post its form as a browser would."""
    return console.post(path, form_data(response.content.decode(), testid="confirm-form"), follow=True)


def test_deleting_a_department_is_confirmed_first(in_a, manager, console_as):
    tree = make_tree()
    console = console_as(manager)
    path = f"/console/organisation/departments/{tree['frontend'].pk}/"
    assert 'class="danger">Delete department<' in console.get(path).content.decode()

    asked = console.post(path, {"action": "delete"})
    assert "Delete the department Front end?" in _asked(asked)
    assert Department.objects.filter(pk=tree["frontend"].pk).exists()

    done = _confirm(console, asked, path)
    assert "Department Front end deleted." in html.unescape(done.content.decode())
    assert not Department.objects.filter(pk=tree["frontend"].pk).exists()


def test_merging_departments_names_how_many_people_move(in_a, manager, console_as):
    tree = make_tree()
    for _ in range(3):
        make_employee(department=tree["sales"])
    console = console_as(manager)
    path = f"/console/organisation/departments/{tree['sales'].pk}/"

    asked = console.post(path, {"action": "merge", "target": tree["rnd"].pk})
    page = _asked(asked)
    assert "Merge Sales into R&D?" in page and "3 people in Sales move to R&D." in page
    assert "1 sub-department moves under R&D." in page
    assert Department.objects.filter(pk=tree["sales"].pk).exists()

    done = html.unescape(_confirm(console, asked, path).content.decode())
    assert "Department Sales merged into R&D; 3 people moved to R&D." in done
    assert not Department.objects.filter(pk=tree["sales"].pk).exists()


def test_removing_a_sub_administrator_is_confirmed_first(in_a, manager, console_as):
    deputy = make_sub_administrator(departments=[make_tree()["rnd"]], manager=manager, name="卫十五")
    console = console_as(manager)
    path = "/console/organisation/administrators/"

    asked = console.post(path, {"action": "remove", "account": deputy.pk})
    page = _asked(asked)
    assert "Remove 卫十五 as a sub-administrator?" in page and "卫十五 no longer administers R&D" in page
    assert User.objects.get(pk=deputy.pk).role == User.Role.SUB_ADMIN

    done = html.unescape(_confirm(console, asked, path).content.decode())
    assert "卫十五 is no longer a sub-administrator." in done
    assert User.objects.get(pk=deputy.pk).role == User.Role.EMPLOYEE


def test_resetting_a_password_is_confirmed_first(in_a, manager, console_as):
    person = make_employee(department=make_tree()["east"], name="蒋十六")
    before = User.objects.get(pk=person.account_id).password
    console = console_as(manager)
    path = f"/console/organisation/employees/{person.pk}/reset-password/"

    asked = console.post(path)
    page = _asked(asked)
    assert "Reset 蒋十六's password?" in page and 'data-testid="temporary-password"' not in page
    assert User.objects.get(pk=person.account_id).password == before

    done = _confirm(console, asked, path)
    assert 'data-testid="temporary-password"' in done.content.decode()
    assert User.objects.get(pk=person.account_id).must_change_password


def test_deleting_a_position_is_confirmed_first(in_a, manager, console_as):
    position = position_services.create_position(actor=manager, name="出纳")
    console = console_as(manager)
    path = "/console/organisation/positions/"

    asked = console.post(path, {"list": "position", "action": "delete", "item": position.pk})
    assert "Delete “出纳”?" in _asked(asked) and "Nobody has it now." in _asked(asked)
    assert Position.objects.filter(pk=position.pk).exists()

    done = html.unescape(_confirm(console, asked, path).content.decode())
    assert "“出纳” deleted." in done and not Position.objects.filter(pk=position.pk).exists()


@pytest.mark.promise("E6")
def test_switching_a_data_sharing_application_on_for_everyone_is_confirmed_first(in_a, manager, console_as):
    tree = make_tree()
    for _ in range(4):
        make_employee(department=tree["east"])
    headcount = Employee.objects.count()
    application = Application.objects.filter(kind=Application.Kind.THIRD_PARTY).first()
    console = console_as(manager)
    path = f"/console/organisation/applications/{application.pk}/"

    asked = console.post(path, {"action": "switch", "level": "enterprise", "enabled": "1"})
    page = _asked(asked)
    assert "for the whole enterprise?" in page and f"It is switched on for {headcount} people." in page
    assert "only for the people who consented" in page
    assert not ApplicationSwitch.objects.filter(application=application).exists()

    done = html.unescape(_confirm(console, asked, path).content.decode())
    assert "switched on; it changed for" in done
    assert ApplicationSwitch.objects.get(application=application, department=None, account=None).is_enabled


def test_switching_a_data_sharing_application_off_or_a_basic_one_on_needs_no_confirmation(in_a, manager, console_as):
    third_party = Application.objects.filter(kind=Application.Kind.THIRD_PARTY).first()
    attendance = Application.objects.get(code="attendance")
    console = console_as(manager)
    for application, enabled in ((third_party, "0"), (attendance, "1")):
        response = console.post(f"/console/organisation/applications/{application.pk}/",
                                {"action": "switch", "level": "enterprise", "enabled": enabled})
        assert response.status_code == 302, application.code


def test_a_forged_confirmation_value_is_not_a_confirmation(in_a, manager, console_as):
    tree = make_tree()
    response = console_as(manager).post(f"/console/organisation/departments/{tree['frontend'].pk}/",
                                        {"action": "delete", "confirmed": "1"})
    _asked(response)
    assert Department.objects.filter(pk=tree["frontend"].pk).exists()


def test_nobody_is_asked_to_confirm_what_they_may_not_do(in_a, manager, console_as):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    outsider = make_employee(department=tree["east"])
    third_party = Application.objects.filter(kind=Application.Kind.THIRD_PARTY).first()
    console = console_as(deputy)
    switched = console.post(f"/console/organisation/applications/{third_party.pk}/",
                            {"action": "switch", "level": "enterprise", "enabled": "1"})
    assert switched.status_code == 403 and 'data-testid="confirmation"' not in switched.content.decode()
    reset = console.post(f"/console/organisation/employees/{outsider.pk}/reset-password/")
    assert reset.status_code == 404 and 'data-testid="confirmation"' not in reset.content.decode()
