"""The organisation console pages through the Django test client (the browser tests cover the
flows end to end)."""
import pytest

from accounts.models import User
from audit.models import AuditEntry
from orgdata.models import Application, ApplicationSwitch, Department, Employee, JobLevel, Position
from orgdata.services import positions as position_services
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree, resident_id
from tests.orgdata.exporting import exported_through_console

CONFIRMED = {"confirmed": "yes"}  # sent by the confirmation page (core.confirmation)


@pytest.mark.promise("E5")
def test_the_manager_searches_filters_and_pages_through_the_employee_list(in_a, manager, console_as):
    tree = make_tree()
    for number in range(30):
        make_employee(department=tree["backend"] if number % 2 else tree["east"], name=f"郑{number:02d}",
                      employee_number=f"L{number:03d}")
    console = console_as(manager)
    first = console.get("/console/organisation/employees/").content.decode()
    assert "Page 1 of 2 (30 people)" in first and "138****" not in first and "****" in first
    second = console.get("/console/organisation/employees/", {"page": 2}).content.decode()
    assert "Page 2 of 2" in second
    searched = console.get("/console/organisation/employees/", {"q": "郑0"}).content.decode()
    assert "(10 people)" in searched
    filtered = console.get("/console/organisation/employees/", {"department": tree["rnd"].pk}).content.decode()
    assert "(15 people)" in filtered


@pytest.mark.promise("E5")
def test_the_manager_adds_corrects_and_reveals_an_employee(in_a, manager, console_as):
    make_tree()
    backend = Department.objects.get(name="Back end")
    console = console_as(manager)
    added = console.post("/console/organisation/employees/add/", {
        "display_name": "冯九", "mobile": "13912349999", "employee_number": "F9", "department": backend.pk,
        "work_status": "working", "id_number": resident_id()})
    assert added.status_code == 302
    employee = Employee.objects.get(employee_number="F9")
    assert employee.account.display_name == "冯九" and employee.date_of_birth.isoformat() == "1990-03-07"

    refused = console.post(f"/console/organisation/employees/{employee.pk}/edit/", {
        "display_name": "冯九", "employee_number": "F9", "work_status": "working", "email": "bad"})
    assert refused.status_code == 200 and "Enter a valid email address." in refused.content.decode()
    corrected = console.post(f"/console/organisation/employees/{employee.pk}/edit/", {
        "display_name": "冯久", "employee_number": "F9", "work_status": "on_leave", "email": "f9@example.com"})
    assert corrected.status_code == 302
    employee.refresh_from_db()
    assert (employee.account.display_name, employee.work_status, employee.id_number) == ("冯久", "on_leave", resident_id())

    page = console.get(f"/console/organisation/employees/{employee.pk}/").content.decode()
    assert resident_id() not in page and "13912349999" not in page
    revealed = console.post(f"/console/organisation/employees/{employee.pk}/", {"action": "reveal"}).content.decode()
    assert resident_id() in revealed and "13912349999" in revealed
    assert "f9@example.com" not in page and "f9@example.com" in revealed  # X2: email is masked until revealed
    # One audited view per revealed field: mobile, ID number, landline and email.
    assert AuditEntry.objects.filter(action="view_unmasked", actor=f"user:{manager.pk}").count() == 4


def test_department_pages_rename_and_refuse_deleting_a_non_empty_department(in_a, manager, console_as):
    tree = make_tree()
    make_employee(department=tree["east"])
    console = console_as(manager)
    assert "Back end" in console.get("/console/organisation/departments/").content.decode()
    renamed = console.post(f"/console/organisation/departments/{tree['rnd'].pk}/", {"action": "rename", "name": "研发"})
    assert renamed.status_code == 302 and Department.objects.get(pk=tree["rnd"].pk).name == "研发"
    refused = console.post(f"/console/organisation/departments/{tree['east'].pk}/", {"action": "delete", **CONFIRMED})
    assert "This department still has employees." in refused.content.decode()


@pytest.mark.promise("E5")
def test_the_administrators_page_appoints_a_sub_administrator(in_a, manager, console_as):
    tree = make_tree()
    person = make_employee(department=tree["backend"], name="褚十")
    console = console_as(manager)
    unknown = console.post("/console/organisation/administrators/", {
        "action": "appoint", "account": "NO-SUCH-1", "departments": [tree["rnd"].pk]})
    assert unknown.status_code == 200
    assert "Nobody you administer matches this name, employee number or mobile number." in unknown.content.decode()
    assert User.objects.get(pk=person.account.pk).role == User.Role.EMPLOYEE
    response = console.post("/console/organisation/administrators/", {
        "action": "appoint", "account": person.employee_number, "departments": [tree["rnd"].pk]})
    assert response.status_code == 302
    page = console.get("/console/organisation/administrators/").content.decode()
    assert "褚十" in page and "R&amp;D" in page
    assert User.objects.get(pk=person.account.pk).role == User.Role.SUB_ADMIN


@pytest.mark.promise("E6")
def test_the_applications_page_switches_an_application_for_a_department(in_a, manager, console_as):
    tree = make_tree()
    attendance = Application.objects.get(code="attendance")
    console = console_as(manager)
    assert "E-signature" in console.get("/console/organisation/applications/").content.decode()
    response = console.post(f"/console/organisation/applications/{attendance.pk}/", {
        "action": "switch", "level": "department", "department": tree["sales"].pk, "enabled": "1",
        "employee": "left over, unused"})
    assert response.status_code == 302
    assert attendance.switches.get().department == tree["sales"]


def test_the_sample_template_and_export_download(in_a, manager, console_as):
    make_employee()
    console = console_as(manager)
    template = console.get("/console/organisation/import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    exported = exported_through_console(console, {"file_format": "csv"})
    assert exported.status_code == 200 and "attachment" in exported["Content-Disposition"]


def test_a_plain_employee_cannot_open_the_organisation_console(in_a, console_as):
    person = make_employee()
    assert console_as(person.account).get("/console/organisation/employees/").status_code == 403


@pytest.mark.promise("E6")
def test_one_person_is_switched_by_employee_number_or_mobile_number(in_a, manager, console_as):
    tree = make_tree()
    person = make_employee(department=tree["east"], name="卫十一", employee_number="SW-1")
    attendance = Application.objects.get(code="attendance")
    console = console_as(manager)
    page = console.get(f"/console/organisation/applications/{attendance.pk}/").content.decode()
    assert "<select name=\"employee\"" not in page and "卫十一" not in page  # a text box, not a list of everyone
    missing = console.post(f"/console/organisation/applications/{attendance.pk}/", {
        "action": "switch", "level": "employee", "employee": "", "enabled": "0"})
    assert "Choose a person." in missing.content.decode()
    unknown = console.post(f"/console/organisation/applications/{attendance.pk}/", {
        "action": "switch", "level": "employee", "employee": "SW-404", "enabled": "0"})
    assert "Nobody you administer matches this name, employee number" in unknown.content.decode()
    assert not attendance.switches.exists()

    by_number = console.post(f"/console/organisation/applications/{attendance.pk}/", {
        "action": "switch", "level": "employee", "employee": " SW-1 ", "enabled": "0"})
    assert by_number.status_code == 302
    assert attendance.switches.get().account_id == person.account_id
    by_mobile = console.post(f"/console/organisation/applications/{attendance.pk}/", {
        "action": "switch", "level": "employee", "employee": person.account.mobile, "enabled": "1"})
    assert by_mobile.status_code == 302
    assert attendance.switches.get().is_enabled is True


def test_posted_ids_that_are_not_numbers_answer_404_not_500(in_a, manager, console_as):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    attendance = Application.objects.get(code="attendance")
    console = console_as(manager)
    for account in ("abc", "", "1.5", "-3", "99999999999999999999"):
        response = console.post("/console/organisation/administrators/", {"action": "remove", "account": account})
        assert response.status_code == 404, account
    assert User.objects.get(pk=deputy.pk).role == User.Role.SUB_ADMIN
    for switch in ("abc", "", "99999999999999999999"):
        response = console.post(f"/console/organisation/applications/{attendance.pk}/",
                                {"action": "clear", "switch": switch})
        assert response.status_code == 404, switch

    removed = console.post("/console/organisation/administrators/", {"action": "remove", "account": deputy.pk,
                                                                  **CONFIRMED})
    assert removed.status_code == 302 and User.objects.get(pk=deputy.pk).role == User.Role.EMPLOYEE


def test_the_enterprise_wide_switch_cannot_be_removed_and_says_so(in_a, manager, console_as):
    attendance = Application.objects.get(code="attendance")
    console = console_as(manager)
    assert console.post(f"/console/organisation/applications/{attendance.pk}/", {
        "action": "switch", "level": "enterprise", "enabled": "0"}).status_code == 302
    switch = attendance.switches.get()
    refused = console.post(f"/console/organisation/applications/{attendance.pk}/",
                           {"action": "clear", "switch": switch.pk})
    assert refused.status_code == 200
    assert "The enterprise-wide switch can be turned on or off, not removed." in refused.content.decode()
    assert ApplicationSwitch.objects.filter(pk=switch.pk).exists()


@pytest.mark.promise("E5")
def test_the_manager_hands_over_the_role_after_confirming_their_password(in_a, manager, console_as):
    successor = make_employee(name="蒋十二", employee_number="NEXT-1")
    console = console_as(manager)
    page = console.get("/console/organisation/administrators/").content.decode()
    assert "蒋十二" not in page  # nobody is listed for choosing: the successor is typed in

    wrong = console.post("/console/organisation/administrators/", {
        "action": "transfer", "new_manager": "NEXT-1", "password": "not-my-password"})
    assert wrong.status_code == 200 and "Your password is incorrect." in wrong.content.decode()
    unknown = console.post("/console/organisation/administrators/", {
        "action": "transfer", "new_manager": "NEXT-404", "password": in_a.admin_password})
    assert "Nobody you administer matches this name, employee number" in unknown.content.decode()
    assert User.objects.get(pk=manager.pk).role == User.Role.MANAGER
    assert User.objects.get(pk=successor.account_id).role == User.Role.EMPLOYEE

    handed = console.post("/console/organisation/administrators/", {
        "action": "transfer", "new_manager": successor.account.mobile, "password": in_a.admin_password})
    assert handed.status_code == 302 and handed["Location"] == "/console/organisation/administrators/handed-over/"
    assert User.objects.get(pk=manager.pk).role == User.Role.EMPLOYEE
    assert User.objects.get(pk=successor.account_id).role == User.Role.MANAGER
    landing = console.get(handed["Location"])
    text = landing.content.decode()
    assert landing.status_code == 200 and "You handed the enterprise manager role over to 蒋十二." in text
    assert "can no longer use the administration console" in text
    assert console.get("/console/organisation/employees/").status_code == 403

    # The new manager hands it back by mobile number, though the former manager has no employee record.
    successor.account.set_password("Succ3ssor-Pass!")
    successor.account.save(update_fields=["password"])
    console = console_as(User.objects.get(pk=successor.account_id))
    assert console.get("/console/organisation/administrators/handed-over/").status_code == 302
    back = console.post("/console/organisation/administrators/", {
        "action": "transfer", "new_manager": manager.mobile, "password": "Succ3ssor-Pass!"})
    assert back.status_code == 302 and User.objects.get(pk=manager.pk).role == User.Role.MANAGER


@pytest.mark.promise("E7")
def test_the_manager_keeps_the_position_and_job_level_lists(in_a, manager, console_as):
    console = console_as(manager)
    form_page = console.get("/console/organisation/employees/add/").content.decode()
    assert "工程师" not in form_page and "职级七" not in form_page
    assert console.post("/console/organisation/positions/", {
        "list": "position", "action": "add", "position-name": "工程师"}).status_code == 302
    assert console.post("/console/organisation/positions/", {
        "list": "job_level", "action": "add", "job_level-name": "职级七"}).status_code == 302
    duplicate = console.post("/console/organisation/positions/", {
        "list": "position", "action": "add", "position-name": " 工程师 "})
    assert duplicate.status_code == 200 and "This position already exists." in duplicate.content.decode()
    assert Position.objects.filter(name="工程师").count() == 1

    form_page = console.get("/console/organisation/employees/add/").content.decode()
    assert "工程师" in form_page and "职级七" in form_page  # the employee form now offers them

    engineer, p7 = Position.objects.get(name="工程师"), JobLevel.objects.get(name="职级七")
    renamed = console.post("/console/organisation/positions/", {
        "list": "position", "action": "rename", "item": engineer.pk, "name": "软件工程师"})
    assert renamed.status_code == 302 and Position.objects.get(pk=engineer.pk).name == "软件工程师"
    position_services.create_position(actor=manager, name="销售")
    clash = console.post("/console/organisation/positions/", {
        "list": "position", "action": "rename", "item": engineer.pk, "name": "销售"})
    assert "This position already exists." in clash.content.decode()
    assert Position.objects.get(pk=engineer.pk).name == "软件工程师"
    empty = console.post("/console/organisation/positions/", {
        "list": "job_level", "action": "rename", "item": p7.pk, "name": "  "})
    assert empty.status_code == 200 and JobLevel.objects.get(pk=p7.pk).name == "职级七"

    make_employee(name="韩十三", position=engineer, job_level=p7)
    in_use = console.post("/console/organisation/positions/", {
        "list": "position", "action": "delete", "item": engineer.pk, **CONFIRMED}).content.decode()
    assert "1 person still holds this position; give them another one before deleting it." in in_use
    level_in_use = console.post("/console/organisation/positions/", {
        "list": "job_level", "action": "delete", "item": p7.pk, **CONFIRMED}).content.decode()
    assert "1 person still has this job level" in level_in_use
    assert Position.objects.filter(pk=engineer.pk).exists() and JobLevel.objects.filter(pk=p7.pk).exists()

    sales = Position.objects.get(name="销售")
    deleted = console.post("/console/organisation/positions/",
                           {"list": "position", "action": "delete", "item": sales.pk, **CONFIRMED})
    assert deleted.status_code == 302 and not Position.objects.filter(pk=sales.pk).exists()
    assert "“销售” deleted." in console.get("/console/organisation/positions/").content.decode()  # the message, once
    listed = console.get("/console/organisation/positions/").content.decode()
    assert "软件工程师" in listed and "销售" not in listed

    for bad in ({"list": "position", "action": "delete", "item": "abc"},
                {"list": "position", "action": "rename", "item": "", "name": "x"},
                {"list": "job_level", "action": "delete", "item": engineer.pk + 100000}):
        assert console.post("/console/organisation/positions/", bad).status_code == 404, bad
    assert console.post("/console/organisation/positions/", {"list": "salary", "action": "add"}).status_code == 400


@pytest.mark.promise("E5")
def test_a_sub_administrator_sees_the_position_lists_but_cannot_change_them(in_a, manager, console_as):
    tree = make_tree()
    position = position_services.create_position(actor=manager, name="会计")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    console = console_as(deputy)
    page = console.get("/console/organisation/positions/").content.decode()
    assert "会计" in page and "Only the enterprise manager can change them." in page
    assert "Add position" not in page and 'value="delete"' not in page
    assert console.get("/console/organisation/employees/").content.decode().count("Positions and job levels") == 1
    for attempt in ({"list": "position", "action": "add", "position-name": "出纳"},
                    {"list": "position", "action": "rename", "item": position.pk, "name": "出纳"},
                    {"list": "position", "action": "delete", "item": position.pk}):
        assert console.post("/console/organisation/positions/", attempt).status_code == 403
    assert list(Position.objects.values_list("name", flat=True)) == ["会计"]
