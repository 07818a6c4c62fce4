"""The organisation console pages through the Django test client (the browser tests cover the
flows end to end)."""
import pytest

from accounts.models import User
from audit.models import AuditEntry
from orgdata.models import Application, Department, Employee
from tests.orgdata.factories import make_employee, make_tree, resident_id


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
    assert AuditEntry.objects.filter(action="view_unmasked", actor=f"user:{manager.pk}").count() == 2


def test_department_pages_rename_and_refuse_deleting_a_non_empty_department(in_a, manager, console_as):
    tree = make_tree()
    make_employee(department=tree["east"])
    console = console_as(manager)
    assert "Back end" in console.get("/console/organisation/departments/").content.decode()
    renamed = console.post(f"/console/organisation/departments/{tree['rnd'].pk}/", {"action": "rename", "name": "研发"})
    assert renamed.status_code == 302 and Department.objects.get(pk=tree["rnd"].pk).name == "研发"
    refused = console.post(f"/console/organisation/departments/{tree['east'].pk}/", {"action": "delete"})
    assert "This department still has employees." in refused.content.decode()


@pytest.mark.promise("E5")
def test_the_administrators_page_appoints_a_sub_administrator(in_a, manager, console_as):
    tree = make_tree()
    person = make_employee(department=tree["backend"], name="褚十")
    console = console_as(manager)
    response = console.post("/console/organisation/administrators/", {
        "action": "appoint", "account": person.account.pk, "departments": [tree["rnd"].pk]})
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
        "action": "switch", "level": "department", "department": tree["sales"].pk, "enabled": "1"})
    assert response.status_code == 302
    assert attendance.switches.get().department == tree["sales"]


def test_the_sample_template_and_export_download(in_a, manager, console_as):
    make_employee()
    console = console_as(manager)
    template = console.get("/console/organisation/import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    exported = console.post("/console/organisation/export/", {"file_format": "csv"})
    assert exported.status_code == 200 and "attachment" in exported["Content-Disposition"]


def test_a_plain_employee_cannot_open_the_organisation_console(in_a, console_as):
    person = make_employee()
    assert console_as(person.account).get("/console/organisation/employees/").status_code == 403
