"""A sub-administrator changes nothing outside their department subtrees through the console's
POST forms either: editing, password resets, revealing, export and application switches (E5)."""
import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from audit.models import AuditEntry
from orgdata.models import Application, ApplicationSwitch, Employee
from orgdata.services import applications as application_services
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree
from tests.orgdata.exporting import exported_through_console

CONFIRMED = {"confirmed": "yes"}  # sent by the confirmation page (core.confirmation)

pytestmark = pytest.mark.promise("E5")


@pytest.fixture
def scoped(in_a, manager, console_as):
    tree = make_tree()
    inside = make_employee(department=tree["backend"], name="内部人", employee_number="IN-1")
    outside = make_employee(department=tree["east"], name="外部人", employee_number="OUT-1")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    # Trusted with unmasked values, so a refusal below is the scope's doing, not the permission's.
    deputy.user_permissions.add(Permission.objects.get(codename="unmask_sensitive"))
    deputy = User.objects.get(pk=deputy.pk)
    return {"tree": tree, "inside": inside, "outside": outside, "deputy": deputy, "manager": manager,
            "console": console_as(deputy)}


def _edit(employee, **changes):
    return {"display_name": employee.account.display_name, "employee_number": employee.employee_number,
            "work_status": employee.work_status, "department": employee.department_id, **changes}


def test_editing_someone_outside_is_not_found_and_changes_nothing(scoped):
    console, inside, outside = scoped["console"], scoped["inside"], scoped["outside"]
    refused = console.post(f"/console/organisation/employees/{outside.pk}/edit/", _edit(outside, title="改"))
    assert refused.status_code == 404
    outside.refresh_from_db()
    assert outside.title == "" and outside.account.display_name == "外部人"

    allowed = console.post(f"/console/organisation/employees/{inside.pk}/edit/", _edit(inside, title="工程师"))
    assert allowed.status_code == 302 and Employee.objects.get(pk=inside.pk).title == "工程师"


def test_resetting_the_password_of_someone_outside_is_not_found(scoped):
    console, outside = scoped["console"], scoped["outside"]
    before = User.objects.get(pk=outside.account_id).password
    assert console.post(f"/console/organisation/employees/{outside.pk}/reset-password/", CONFIRMED).status_code == 404
    after = User.objects.get(pk=outside.account_id)
    assert after.password == before and not after.must_change_password

    inside = console.post(f"/console/organisation/employees/{scoped['inside'].pk}/reset-password/", CONFIRMED)
    assert inside.status_code == 200 and User.objects.get(pk=scoped["inside"].account_id).must_change_password


def test_revealing_someone_outside_is_not_found_and_not_audited_as_seen(scoped):
    console, outside = scoped["console"], scoped["outside"]
    refused = console.post(f"/console/organisation/employees/{outside.pk}/", {"action": "reveal"})
    assert refused.status_code == 404 and outside.account.mobile not in refused.content.decode()
    assert not AuditEntry.objects.filter(action="view_unmasked", actor=f"user:{scoped['deputy'].pk}").exists()

    inside = scoped["inside"]
    revealed = console.post(f"/console/organisation/employees/{inside.pk}/", {"action": "reveal"})
    assert revealed.status_code == 200 and inside.account.mobile in revealed.content.decode()


def test_the_console_export_holds_only_the_subtree(scoped):
    exported = exported_through_console(scoped["console"], {"file_format": "csv", "unmasked": "on"})
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    assert "内部人" in text and "IN-1" in text
    assert "外部人" not in text and "OUT-1" not in text and scoped["outside"].account.mobile not in text


def test_switching_an_application_outside_the_scope_is_refused(scoped):
    console, tree = scoped["console"], scoped["tree"]
    attendance = Application.objects.get(code="attendance")
    url = f"/console/organisation/applications/{attendance.pk}/"
    department = console.post(url, {"action": "switch", "level": "department", "department": tree["sales"].pk,
                                    "enabled": "1"})
    assert department.status_code == 200 and "Select a valid choice." in department.content.decode()
    person = console.post(url, {"action": "switch", "level": "employee", "employee": "OUT-1", "enabled": "1"})
    assert "Nobody you administer matches this name, employee number" in person.content.decode()
    by_mobile = console.post(url, {"action": "switch", "level": "employee",
                                   "employee": scoped["outside"].account.mobile, "enabled": "1"})
    assert "Nobody you administer matches this name, employee number" in by_mobile.content.decode()
    assert console.post(url, {"action": "switch", "level": "enterprise", "enabled": "1"}).status_code == 403
    assert not attendance.switches.exists()

    # A switch the manager set outside the deputy's subtree can be neither seen nor removed by them.
    application_services.switch_application(actor=scoped["manager"], application=attendance, enabled=True,
                                            department=tree["sales"])
    outside_switch = attendance.switches.get()
    assert "Sales" not in console.get(url).content.decode()
    assert console.post(url, {"action": "clear", "switch": outside_switch.pk}).status_code == 404
    assert ApplicationSwitch.objects.filter(pk=outside_switch.pk).exists()

    inside = console.post(url, {"action": "switch", "level": "department", "department": tree["backend"].pk,
                                "enabled": "1"})
    assert inside.status_code == 302 and attendance.switches.filter(department=tree["backend"]).exists()
