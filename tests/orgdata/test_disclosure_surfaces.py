"""Every surface shows a person's fields as the one masking policy (privacy.disclosure) says, through
the path a user takes: the admin API, the console pages, the export download and the Django admin.
E-mail and landline are masked for the manager and a sub-administrator alike, and each surface
shows the same masked value (the matrix itself is tests/privacy/test_disclosure.py)."""
import csv
import io
import re

import pytest
from django.db import connection

from accounts.models import User
from privacy.disclosure import Route, shown_value
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree, resident_id
from tests.orgdata.exporting import exported_through_console

pytestmark = pytest.mark.promise("X2")

EMAIL, LANDLINE, MOBILE = "zhang.san@example.com", "010-62345678", "13912345678"
MASKED = {"mobile": "139****5678", "id_number": "1101**********" + resident_id()[-4:],
          "landline": "010-****5678", "email": "z***@example.com"}


@pytest.fixture
def person(in_a, manager):
    tree = make_tree()
    person = make_employee(department=tree["backend"], name="张三", mobile=MOBILE, employee_number="M-1",
                           id_number=resident_id(), email=EMAIL, landline=LANDLINE)
    sub_admin = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    return {"employee": person, "viewers": {"manager": manager, "sub_admin": sub_admin}}


def _policy(viewer, employee) -> dict[str, str]:
    return {"mobile": shown_value(viewer=viewer, instance=employee.account, field="mobile"),
            **{field: shown_value(viewer=viewer, instance=employee, field=field)
               for field in ("id_number", "landline", "email")}}


def _assert_nothing_clear(content: bytes):
    for clear in (EMAIL, LANDLINE, MOBILE, resident_id()):
        assert clear.encode() not in content


@pytest.mark.parametrize("viewer_name", ["manager", "sub_admin"])
def test_the_admin_api_masks_contact_values_as_the_policy_says(person, api_as, viewer_name):
    viewer, employee = person["viewers"][viewer_name], person["employee"]
    api = api_as(viewer)
    listed = api.get("/api/v1/admin/employees", {"search": "M-1"})
    detail = api.get(f"/api/v1/admin/employees/{employee.pk}")
    for response in (listed, detail):
        assert response.status_code == 200, response.content
        _assert_nothing_clear(response.content)
    [row] = listed.json()["results"]
    for entry in (row, detail.json()):
        shown = {field: entry[f"{field}_masked"] for field in ("mobile", "landline", "email")}
        assert shown == {field: MASKED[field] for field in shown} == {
            field: value for field, value in _policy(viewer, employee).items() if field in shown}
    assert detail.json()["id_number_masked"] == MASKED["id_number"]


@pytest.mark.parametrize("viewer_name", ["manager", "sub_admin"])
def test_the_console_list_and_employee_page_mask_contact_values_as_the_policy_says(person, console_as, viewer_name):
    viewer, employee = person["viewers"][viewer_name], person["employee"]
    console = console_as(viewer)
    listed = console.get("/console/organisation/employees/", {"q": "M-1"})
    page = console.get(f"/console/organisation/employees/{employee.pk}/")
    for response in (listed, page):
        assert response.status_code == 200
        _assert_nothing_clear(response.content)
    assert MASKED["mobile"] in listed.content.decode()
    # C2: the sensitive ID number is shown inside the sensitive mark (privacy.marks).
    marked = r'(?:<span class="sensitive-mark"[^>]*><span class="sensitive-label">[^<]*</span> <span class="sensitive-value">)?'
    shown = {field: re.search(rf'data-testid="{field.replace("_", "-")}">{marked}([^<]*)<', page.content.decode()).group(1)
             for field in ("mobile", "id_number", "landline", "email")}
    assert shown == MASKED == _policy(viewer, employee)


@pytest.mark.parametrize("viewer_name", ["manager", "sub_admin"])
def test_the_masked_export_download_masks_contact_values_as_the_policy_says(person, console_as, viewer_name):
    viewer, employee = person["viewers"][viewer_name], person["employee"]
    exported = exported_through_console(console_as(viewer), {"file_format": "csv"})
    assert exported.status_code == 200
    _assert_nothing_clear(exported.content)
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    [row] = [row for row in rows if row["Employee number"] == "M-1"]
    shown = {"mobile": row["Mobile number"], "id_number": row["Resident ID number"], "landline": row["Landline"],
             "email": row["Email"]}
    assert shown == MASKED == _policy(viewer, employee)


def test_the_unmasked_export_is_the_managers_one_way_to_clear_contact_values(person, console_as):
    exported = exported_through_console(console_as(person["viewers"]["manager"]),
                                        {"file_format": "csv", "unmasked": "on"})
    [row] = [row for row in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
             if row["Employee number"] == "M-1"]
    assert (row["Mobile number"], row["Landline"], row["Email"]) == (MOBILE, LANDLINE, EMAIL)


@pytest.mark.promise("R1")
def test_the_person_sees_their_own_contact_values_only_in_my_profile(person, api_as):
    employee = person["employee"]
    api = api_as(employee.account)
    profile = api.get("/api/v1/me/profile").json()
    assert (profile["mobile"], profile["landline"], profile["email"]) == (MOBILE, LANDLINE, EMAIL)
    assert profile["id_number_masked"] == MASKED["id_number"]  # C2: sensitive, masked even for the person
    assert profile["email"] == shown_value(viewer=employee.account, instance=employee, field="email",
                                           route=Route.OWN_RECORD)
    assert api.get("/api/v1/me").json()["mobile_masked"] == MASKED["mobile"]  # any other surface: masked


def test_the_django_admin_masks_the_mobile_number_as_the_policy_says(enterprises, client, settings):
    connection.set_schema_to_public()
    staff = User.objects.create_superuser(mobile="13800007777", display_name="Support Zhao", password="Supp0rt-Desk!")
    client.force_login(staff)
    client.defaults["HTTP_HOST"] = settings.PLATFORM_DOMAIN
    listed = client.get("/admin/accounts/user/")
    changed = client.get(f"/admin/accounts/user/{staff.pk}/change/")
    masked = shown_value(viewer=staff, instance=staff, field="mobile")
    assert masked == "138****7777"
    for response in (listed, changed):
        assert response.status_code == 200
        assert masked in response.content.decode() and "13800007777" not in response.content.decode()
