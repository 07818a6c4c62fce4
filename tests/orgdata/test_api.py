"""The mobile API: my profile (R1), the directory (masked, paginated, searchable), departments."""
import pytest

from orgdata.models import Employee
from tests.orgdata.factories import make_employee, make_tree, resident_id


@pytest.mark.promise("R1")
def test_an_employee_reads_corrects_and_supplements_their_own_profile(in_a, api_as):
    tree = make_tree()
    me = make_employee(department=tree["backend"], name="孙八", id_number=resident_id())
    api = api_as(me.account)

    profile = api.get("/api/v1/me/profile").json()
    assert profile["display_name"] == "孙八" and profile["employee_number"] == me.employee_number
    assert profile["department"]["name"] == "Back end"
    assert profile["mobile"] == me.account.mobile
    assert profile["id_number_masked"] == "1101**********" + resident_id()[-4:]
    assert profile["email"] == "" and profile["qq"] == ""

    changed = api.patch("/api/v1/me/profile", {"email": "Sun.Ba@Example.com", "qq": "12345678",
                                              "gender": "female", "work_status": "business_trip"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["email"] == "Sun.Ba@example.com" and changed.json()["qq"] == "12345678"
    assert api.get("/api/v1/me/profile").json()["work_status"] == "business_trip"

    cleared = api.patch("/api/v1/me/profile", {"qq": ""}, format="json")
    assert cleared.json()["qq"] == ""


@pytest.mark.promise("R1")
def test_the_enterprises_own_records_are_refused_with_a_field_level_reason(in_a, api_as):
    me = make_employee()
    api = api_as(me.account)
    refused = api.patch("/api/v1/me/profile", {"employee_number": "X1", "email": "ok@example.com"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert "administrator" in refused.json()["fields"]["employee_number"][0]
    invalid = api.patch("/api/v1/me/profile", {"qq": "12ab"}, format="json")
    assert invalid.status_code == 400 and "qq" in invalid.json()["fields"]
    assert Employee.objects.get(pk=me.pk).email == ""


def test_the_directory_is_masked_paginated_and_searchable(in_a, api_as):
    tree = make_tree()
    me = make_employee(department=tree["hq"], name="周一")
    for number in range(25):
        make_employee(department=tree["backend"], name=f"吴{number:02d}", employee_number=f"D{number:03d}")
    make_employee(name="已离职", employee_number="D999", work_status=Employee.WorkStatus.LEFT)
    api = api_as(me.account)

    first = api.get("/api/v1/directory").json()
    assert len(first["results"]) == 20 and first["next"] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 6 and second["next"] is None
    entry = first["results"][0]
    assert entry["display_name"] == "吴00" and entry["department"]["name"] == "Back end"
    assert "****" in entry["mobile_masked"] and "mobile" not in entry and "id_number" not in str(entry)

    searched = api.get("/api/v1/directory", {"search": "吴1"}).json()
    assert [row["display_name"] for row in searched["results"]] == [f"吴{n}" for n in range(10, 20)]
    by_mobile = api.get("/api/v1/directory", {"search": me.account.mobile}).json()
    assert [row["display_name"] for row in by_mobile["results"]] == ["周一"]
    by_department = api.get("/api/v1/directory", {"department": tree["rnd"].pk, "page_size": 100}).json()
    assert len(by_department["results"]) == 25
    assert api.get("/api/v1/directory", {"page": "x"}).status_code == 400
    assert api.get("/api/v1/directory", {"department": "x"}).status_code == 404


def test_departments_are_listed_parents_first(in_a, api_as):
    tree = make_tree()
    me = make_employee(department=tree["east"])
    names = [row["name"] for row in api_as(me.account).get("/api/v1/departments").json()]
    assert names == ["HQ", "R&D", "Back end", "Front end", "Sales", "East"]


def test_the_organisation_endpoints_are_in_the_openapi_schema(in_a, client, enterprises):
    schema = client.get("/api/schema/", HTTP_HOST=enterprises.a.host).content.decode()
    for path in ("/api/v1/me/profile", "/api/v1/directory", "/api/v1/departments", "/api/v1/admin/employees"):
        assert path in schema


def test_without_a_token_nothing_is_shown(in_a, api_client_for, enterprises):
    assert api_client_for(enterprises.a).get("/api/v1/directory").status_code == 401


def test_my_profile_without_an_address_book_record_is_a_clear_404(in_a, manager, api_as):
    api = api_as(manager)  # the manager is created without an employee record
    for response in (api.get("/api/v1/me/profile"),
                     api.patch("/api/v1/me/profile", {"email": "boss@example.com"}, format="json")):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found" and "address book" in response.json()["detail"]


@pytest.mark.parametrize("body", ["123", "[{}]", '"text"', "null", "[]"])
def test_a_profile_change_that_is_not_a_json_object_is_a_400(in_a, api_as, body):
    me = make_employee()
    response = api_as(me.account).generic("PATCH", "/api/v1/me/profile", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and response.json()["fields"]["non_field_errors"]


def test_a_page_number_past_any_end_is_a_404_not_a_server_error(in_a, manager, api_as):
    me = make_employee()
    for api, path in ((api_as(me.account), "/api/v1/directory"), (api_as(manager), "/api/v1/admin/employees")):
        for page in ("99999999999999999999", str(2 ** 62)):
            response = api.get(path, {"page": page})
            assert response.status_code == 404 and response.json()["detail"] == "Invalid page.", response.content
        assert api.get(path, {"page": "99999", "page_size": 100}).status_code == 200  # far, but valid: empty
        assert api.get(path, {"page": "9" * 5000}).status_code == 400


@pytest.mark.promise("X2")
def test_the_administrators_employee_list_masks_email_like_the_other_contact_values(in_a, manager, api_as):
    person = make_employee(email="zhang.san@example.com", landline="010-62345678")
    api = api_as(manager)
    listed = api.get("/api/v1/admin/employees")
    detail = api.get(f"/api/v1/admin/employees/{person.pk}")
    for response in (listed, detail):
        assert response.status_code == 200
        assert b"zhang.san@example.com" not in response.content and b"62345678" not in response.content
    [row] = listed.json()["results"]
    assert row["email_masked"] == "z***@example.com" and "email" not in row
    assert row["landline_masked"] == "010-****5678"
    assert detail.json()["email_masked"] == "z***@example.com"
