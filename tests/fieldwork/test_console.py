"""The field-work console (A1): customers kept by administrators within their scope (E5); the
visit log and the reports of the people an administrator sees, positions masked (C2) unless
revealed by someone who may (audited, X2); the report export formula-safe and masked."""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEntry
from fieldwork import selectors as fieldwork_selectors
from fieldwork.models import Customer
from tests.fieldwork.factories import GPS, field_worker, make_customer
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (fixtures: enterprise A)
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree


def _ids(response, attribute: str) -> set[int]:
    return {int(pk) for pk in re.findall(rf'data-{attribute}="(\d+)"', response.content.decode())}


@pytest.fixture
def field(enterprises, in_a, manager, console_as):
    tree = make_tree()
    inside = make_employee(department=tree["backend"], name="内部人", employee_number="FLD1001")
    outside = make_employee(department=tree["east"], name="外部人", employee_number="FLD2002")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    customer = make_customer(actor=manager, name="Lujiazui Instruments", department=tree["rnd"])
    east_customer = make_customer(actor=manager, name="East Sea Fisheries", department=tree["east"])
    visits, reports = {}, {}
    for key, employee in (("inside", inside), ("outside", outside)):
        person = field_worker(enterprises.a, employee.account)
        assert person.grant("device.location").status_code == 201
        response = person.post("/api/v1/field/visits", {"customer": customer.pk, "location": GPS,
                                                        "place": "客户前台"})
        assert response.status_code == 201, response.content
        visits[key] = response.json()["id"]
        response = person.post("/api/v1/field/reports", {
            "kind": "daily", "period_start": timezone.localdate().isoformat(), "location": GPS,
            "body": '=HYPERLINK("http://evil.example","click")' if key == "inside" else "Quiet day",
            "figures": {"visits": 2}})
        assert response.status_code == 201, response.content
        reports[key] = response.json()["id"]
    return {"tree": tree, "deputy": deputy, "manager": manager, "customer": customer, "east": east_customer,
            "visits": visits, "reports": reports, "console_as": console_as}


@pytest.mark.promise("A1")
def test_the_manager_sees_every_visit_with_positions_masked(field):
    page = field["console_as"](field["manager"]).get("/console/field/")
    text = page.content.decode()
    assert page.status_code == 200 and _ids(page, "visit") >= set(field["visits"].values())
    assert "31.2304" not in text and "***" in text and "客户前台" in text and "Lujiazui Instruments" in text
    # The visit log per customer.
    log = field["console_as"](field["manager"]).get(f"/console/field/customers/{field['customer'].pk}/")
    assert log.status_code == 200 and _ids(log, "visit") == set(field["visits"].values())
    narrowed = field["console_as"](field["manager"]).get("/console/field/", {"person": "FLD1001"})
    assert _ids(narrowed, "visit") == {field["visits"]["inside"]}


def test_a_sub_administrator_sees_their_departments_people_and_customers_only(field):
    console = field["console_as"](field["deputy"])
    assert _ids(console.get("/console/field/"), "visit") == {field["visits"]["inside"]}
    assert _ids(console.get("/console/field/reports/"), "report") == {field["reports"]["inside"]}
    customers = console.get("/console/field/customers/")
    assert _ids(customers, "customer") == {field["customer"].pk}
    assert console.get(f"/console/field/customers/{field['east'].pk}/").status_code == 404
    # The customer's visit log shows only the visits of people in the deputy's scope.
    assert _ids(console.get(f"/console/field/customers/{field['customer'].pk}/"), "visit") == {
        field["visits"]["inside"]}
    # Adding: into one of their departments only; without one is the manager's.
    added = console.post("/console/field/customers/", {"name": "Back-end Bakery", "department": field["tree"]["backend"].pk})
    assert added.status_code == 302 and Customer.objects.get(name="Back-end Bakery").created_by == field["deputy"]
    refused = console.post("/console/field/customers/", {"name": "Eastern Noodles", "department": field["tree"]["east"].pk})
    assert refused.status_code == 400 and not Customer.objects.filter(name="Eastern Noodles").exists()
    no_department = console.post("/console/field/customers/", {"name": "Nowhere Ltd"})
    assert no_department.status_code == 400 and not Customer.objects.filter(name="Nowhere Ltd").exists()


def test_employees_cannot_open_the_field_work_pages(field, in_a):
    employee = make_employee().account
    console = field["console_as"](employee)
    for path in ("/console/field/", "/console/field/reports/", "/console/field/customers/",
                 "/console/field/reports/export?format=csv"):
        assert console.get(path).status_code in (302, 403), path


def test_the_manager_keeps_the_customer_list(field):
    console = field["console_as"](field["manager"])
    assert console.post("/console/field/customers/", {"name": "Head Office Client"}).status_code == 302
    duplicate = console.post("/console/field/customers/", {"name": "Head Office Client"})
    assert duplicate.status_code == 400 and "Another customer already has this name." in duplicate.content.decode()
    customer = Customer.objects.get(name="Head Office Client")
    retired = console.post(f"/console/field/customers/{customer.pk}/", {"name": "Head Office Client",
                                                                        "address": "2 Bund"})
    assert retired.status_code == 302
    customer.refresh_from_db()
    assert not customer.is_active and customer.address == "2 Bund"  # unticked: no new visits
    assert customer.pk not in {c.pk for c in fieldwork_selectors.active_customers()}


@pytest.mark.promise("X2")
def test_revealing_positions_needs_the_permission_and_is_audited(field):
    manager = field["manager"]
    revealed = field["console_as"](manager).post("/console/field/?person=FLD1001", {"action": "reveal"})
    assert revealed.status_code == 200 and "31.2304, 121.4737" in revealed.content.decode()
    assert AuditEntry.objects.filter(action="view_unmasked", actor=f"user:{manager.pk}",
                                     object_type="fieldwork.visit", object_id=str(field["visits"]["inside"])).exists()
    refused = field["console_as"](field["deputy"]).post("/console/field/reports/", {"action": "reveal"})
    assert refused.status_code == 403 and "31.2304" not in refused.content.decode()


@pytest.mark.promise("A1")
def test_the_report_view_filters_and_exports_formula_safe_and_masked(field):
    console = field["console_as"](field["manager"])
    page = console.get("/console/field/reports/", {"person": "FLD2002", "kind": "daily"})
    assert page.status_code == 200 and _ids(page, "report") == {field["reports"]["outside"]}
    assert _ids(console.get("/console/field/reports/", {"kind": "weekly"}), "report") == set()
    assert console.get("/console/field/reports/", {"kind": "monthly"}).status_code == 400

    exported = console.get("/console/field/reports/export", {"person": "FLD1001", "format": "csv"})
    assert exported.status_code == 200 and exported["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert row["Text"] == '\'=HYPERLINK("http://evil.example","click")'  # shown as text, never run
    assert row["Figures"] == "visits: 2" and row["Location"] == "***" and "31.2304" not in exported.content.decode()
    assert AuditEntry.objects.filter(action="field_reports_exported", actor=f"user:{field['manager'].pk}").exists()

    workbook = console.get("/console/field/reports/export", {"person": "FLD1001", "format": "xlsx"})
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    cell = sheet.cell(row=2, column=5)
    assert cell.value == '=HYPERLINK("http://evil.example","click")' and cell.data_type == "s"
    assert console.get("/console/field/reports/export", {"format": "exe"}).status_code == 400


def test_the_export_is_bounded(field, settings):
    settings.FIELDWORK_EXPORT_MAX_ROWS = 1
    refused = field["console_as"](field["manager"]).get("/console/field/reports/export", {"format": "csv"})
    assert refused.status_code == 400 and "choose a shorter period" in refused.content.decode()
