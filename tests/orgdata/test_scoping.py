"""A sub-administrator neither sees nor changes anyone outside their department subtrees — through
the services, the API, the console, the export and the import (E5)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from access.errors import NotInYourScope
from orgdata.models import Employee
from orgdata.selectors import scope as scope_selectors
from orgdata.services import employees as employee_services
from orgdata.services import exports as export_services
from orgdata.services.imports import jobs as import_services
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree
from tests.orgdata.importing import processed


@pytest.fixture
def scoped(in_a, manager):
    tree = make_tree()
    inside = make_employee(department=tree["backend"], name="内部人", employee_number="IN-1")
    outside = make_employee(department=tree["east"], name="外部人", employee_number="OUT-1")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    return {"tree": tree, "inside": inside, "outside": outside, "deputy": deputy}


@pytest.mark.promise("E5")
def test_through_the_services(scoped):
    deputy, outside = scoped["deputy"], scoped["outside"]
    visible = set(scope_selectors.employees_visible_to(deputy).values_list("employee_number", flat=True))
    assert "IN-1" in visible and "OUT-1" not in visible
    with pytest.raises(NotInYourScope):
        employee_services.update_employee(actor=deputy, employee=outside, changes={"title": "x"})
    with pytest.raises(ValidationError):  # and cannot pull someone into, or push someone out of, scope
        employee_services.update_employee(actor=deputy, employee=scoped["inside"],
                                          changes={"department": scoped["tree"]["east"]})


@pytest.mark.promise("E5")
def test_through_the_api(scoped, api_as):
    api = api_as(scoped["deputy"])
    listed = api.get("/api/v1/admin/employees", {"page_size": 100}).json()
    numbers = {row["employee_number"] for row in listed["results"]}
    assert "IN-1" in numbers and "OUT-1" not in numbers
    assert api.get(f"/api/v1/admin/employees/{scoped['outside'].pk}").status_code == 404
    refused = api.patch(f"/api/v1/admin/employees/{scoped['outside'].pk}", {"title": "x"}, format="json")
    assert refused.status_code == 404
    moved = api.patch(f"/api/v1/admin/employees/{scoped['inside'].pk}",
                      {"department": scoped["tree"]["east"].pk}, format="json")
    assert moved.status_code == 400 and "department" in moved.json()["fields"]
    ok = api.patch(f"/api/v1/admin/employees/{scoped['inside'].pk}", {"title": "工程师"}, format="json")
    assert ok.status_code == 200 and ok.json()["title"] == "工程师"
    # A plain employee is not an administrator at all.
    assert api_as(scoped["inside"].account).get("/api/v1/admin/employees").status_code == 403


@pytest.mark.promise("E5")
def test_through_the_console(scoped, console_as):
    console = console_as(scoped["deputy"])
    page = console.get("/console/organisation/employees/").content.decode()
    assert "内部人" in page and "外部人" not in page
    assert console.get(f"/console/organisation/employees/{scoped['outside'].pk}/").status_code == 404
    assert console.get(f"/console/organisation/departments/{scoped['tree']['sales'].pk}/").status_code == 404
    tree_page = console.get("/console/organisation/departments/").content.decode()
    assert "Back end" in tree_page and "East" not in tree_page
    assert console.get("/console/organisation/administrators/").status_code == 403


@pytest.mark.promise("E5")
def test_through_the_export(scoped):
    exported = export_services.export_address_book(actor=scoped["deputy"], file_format="csv")
    text = exported.content.decode("utf-8-sig")
    assert "内部人" in text and "外部人" not in text


@pytest.mark.promise("E5")
def test_through_the_import(scoped):
    rows = ("工号,姓名,手机号,部门\n"
            f"OUT-1,改名,{scoped['outside'].account.mobile},HQ/Sales/East\n"
            "NEW-1,新人,13955550001,HQ/Sales\n"
            "NEW-2,新人二,13955550002,HQ/R&D/Back end\n")
    upload = SimpleUploadedFile("people.csv", rows.encode(), content_type="text/csv")
    job = processed(import_services.start_import(actor=scoped["deputy"], upload=upload, consent_confirmed=True))
    assert job.status == "rejected"
    problems = {(error["row"], error["column"]) for error in job.report}
    assert (2, "Employee number") in problems and (3, "Department") in problems
    assert not Employee.objects.filter(employee_number__in=["NEW-1", "NEW-2"]).exists()
    assert Employee.objects.get(employee_number="OUT-1").account.display_name == "外部人"


@pytest.fixture
def administrators_below(scoped, manager):
    """The enterprise manager's and another sub-administrator's records, both inside the deputy's
    departments (R&D): the manager role went to someone in Back end."""
    from orgdata.services import administrators as administrator_services

    tree = scoped["tree"]
    boss = make_employee(department=tree["backend"], name="新经理", employee_number="BOSS-1")
    manager.set_password("Manager-Pass-1!")
    manager.save(update_fields=["password"])
    new_manager = administrator_services.transfer_manager_role(actor=manager, password="Manager-Pass-1!",
                                                               new_manager=boss.account)
    other = make_sub_administrator(departments=[tree["frontend"]], manager=new_manager, name="另一管理员")
    return {"boss": Employee.objects.get(pk=boss.pk), "other": Employee.objects.get(account=other)}


@pytest.mark.promise("E5")
def test_a_sub_administrator_cannot_edit_an_administrators_record(scoped, administrators_below):
    from core.errors import NotPermitted
    from access.capabilities import Capability, may

    deputy, boss, other = scoped["deputy"], administrators_below["boss"], administrators_below["other"]
    boss_mobile = boss.account.mobile
    assert may(deputy, Capability.EDIT_IDENTITY_RECORD, target=scoped["inside"].account)
    assert not may(deputy, Capability.EDIT_IDENTITY_RECORD, target=boss.account)
    assert not may(deputy, Capability.EDIT_IDENTITY_RECORD, target=other.account)
    assert may(boss.account, Capability.EDIT_IDENTITY_RECORD, target=other.account)
    for target in (boss, other):
        with pytest.raises(NotPermitted):
            employee_services.update_employee(actor=deputy, employee=target, changes={"mobile": "13955550077"})
        with pytest.raises(NotPermitted):
            employee_services.update_employee(actor=deputy, employee=target, changes={"title": "x"})
    boss.account.refresh_from_db()
    assert boss.account.mobile == boss_mobile
    # The plain employee next to them is still the deputy's to correct; the manager corrects anyone.
    employee_services.update_employee(actor=deputy, employee=scoped["inside"], changes={"title": "组长"})
    employee_services.update_employee(actor=boss.account, employee=other, changes={"title": "主管"})
    assert Employee.objects.get(pk=other.pk).title == "主管"


@pytest.mark.promise("E5")
def test_a_sub_administrator_cannot_edit_an_administrator_through_the_api(scoped, administrators_below, api_as):
    boss = administrators_below["boss"]
    api = api_as(scoped["deputy"])
    assert api.get(f"/api/v1/admin/employees/{boss.pk}").status_code == 200  # visible, not editable
    refused = api.patch(f"/api/v1/admin/employees/{boss.pk}", {"mobile": "13955550078"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    assert Employee.objects.get(pk=boss.pk).account.mobile != "13955550078"


@pytest.mark.promise("E5")
def test_a_sub_administrator_cannot_edit_an_administrator_through_the_import(scoped, administrators_below):
    boss = administrators_below["boss"]
    rows = ("工号,姓名,手机号\n"
            "IN-1,内部人,{inside}\n"
            "BOSS-1,新经理,13955550079\n").format(inside=scoped["inside"].account.mobile)
    upload = SimpleUploadedFile("people.csv", rows.encode(), content_type="text/csv")
    job = processed(import_services.start_import(actor=scoped["deputy"], upload=upload, consent_confirmed=True))
    assert job.status == "rejected"
    assert [(error["row"], error["column"]) for error in job.report] == [(3, "Employee number")]
    assert "manager" in job.report[0]["reason"]
    assert Employee.objects.get(pk=boss.pk).account.mobile == boss.account.mobile
    # The manager's own import may correct it.
    upload = SimpleUploadedFile("people.csv", rows.encode(), content_type="text/csv")
    done = processed(import_services.start_import(actor=boss.account, upload=upload, consent_confirmed=True))
    assert done.status == "succeeded", done.report
    assert Employee.objects.get(pk=boss.pk).account.mobile == "13955550079"
