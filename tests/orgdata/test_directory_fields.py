"""The address book shows the fields the enterprise allows (E7), masked (X2): the manager chooses
them in the console; the mobile directory then holds those and no others."""
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from core.errors import NotPermitted
from orgdata.services import directory as directory_services
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

EVERY_FIELD = ["position", "job_level", "title", "employee_number", "work_status", "mobile", "landline", "email"]


def _colleague(tree):
    from orgdata.models import JobLevel, Position

    return make_employee(department=tree["backend"], name="郑十", mobile="13912345678", employee_number="Z001",
                         position=Position.objects.create(name="Engineer"),
                         job_level=JobLevel.objects.create(name="P6", rank=6),
                         title="Tech lead", landline="021-87654321", email="zheng.shi@example.com")


def _entry_of(api, name):
    rows = api.get("/api/v1/directory", {"search": name}).json()
    return rows, next(row for row in rows["results"] if row["display_name"] == name)


@pytest.mark.promise("E7")
@pytest.mark.promise("X2")
def test_a_field_the_manager_hides_in_the_console_is_absent_from_the_directory(in_a, manager, console_as, api_as):
    tree = make_tree()
    colleague = _colleague(tree)
    reader = api_as(make_employee(department=tree["hq"], name="读者").account)
    console = console_as(manager)

    page = console.get("/console/organisation/administrators/").content.decode()
    assert "Address book visibility" in page and 'value="mobile"' in page

    shown = console.post("/console/organisation/administrators/", {"action": "directory", "fields_shown": EVERY_FIELD})
    assert shown.status_code == 302
    everything, entry = _entry_of(reader, "郑十")
    assert everything["shown_fields"] == ["display_name", "department", *EVERY_FIELD]
    assert entry == {
        "id": colleague.pk, "display_name": "郑十", "department": {"id": tree["backend"].pk, "name": "Back end"},
        "position": {"id": colleague.position_id, "name": "Engineer"},
        "job_level": {"id": colleague.job_level_id, "name": "P6"}, "title": "Tech lead",
        "employee_number": "Z001", "work_status": "working",
        "mobile_masked": "139****5678", "landline_masked": "021-****4321", "email_masked": "z***@example.com",
    }

    hidden = console.post("/console/organisation/administrators/", {"action": "directory", "fields_shown": ["position"]})
    assert hidden.status_code == 302
    narrowed, entry = _entry_of(reader, "郑十")
    assert narrowed["shown_fields"] == ["display_name", "department", "position"]
    assert set(entry) == {"id", "display_name", "department", "position"}
    assert "5678" not in str(narrowed) and "example.com" not in str(narrowed) and "Z001" not in str(narrowed)
    # The console shows the current choice.
    page = console.get("/console/organisation/administrators/").content.decode()
    assert re.findall(r'value="(\w+)" id="id_fields_shown_\d+" checked', page) == ["position"]


@pytest.mark.promise("E7")
def test_name_and_department_are_shown_and_hidden_numbers_are_not_searchable(in_a, manager, api_as):
    tree = make_tree()
    _colleague(tree)
    directory_services.choose_directory_fields(actor=manager, fields=[])
    reader = api_as(make_employee(department=tree["hq"], name="读者").account)
    rows, entry = _entry_of(reader, "郑十")
    assert rows["shown_fields"] == ["display_name", "department"]
    assert set(entry) == {"id", "display_name", "department"} and entry["department"]["name"] == "Back end"
    # A hidden number cannot be searched for either: nobody learns whose number it is.
    assert reader.get("/api/v1/directory", {"search": "13912345678"}).json()["results"] == []
    assert reader.get("/api/v1/directory", {"search": "Z001"}).json()["results"] == []
    directory_services.choose_directory_fields(actor=manager, fields=["mobile", "employee_number"])
    for number in ("13912345678", "Z001"):
        found = reader.get("/api/v1/directory", {"search": number}).json()["results"]
        assert [row["display_name"] for row in found] == ["郑十"]


@pytest.mark.promise("X2")
def test_only_the_manager_chooses_and_unknown_fields_are_refused_field_by_field(in_a, manager, console_as):
    tree = make_tree()
    sub_administrator = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    employee = make_employee(department=tree["east"]).account
    for actor in (sub_administrator, employee):
        with pytest.raises(NotPermitted):
            directory_services.choose_directory_fields(actor=actor, fields=["mobile"])
    assert console_as(sub_administrator).post("/console/organisation/administrators/", {
        "action": "directory", "fields_shown": ["mobile"]}).status_code == 403

    with pytest.raises(ValidationError) as refused:
        directory_services.choose_directory_fields(actor=manager, fields=["mobile", "id_number"])
    assert "id_number" in refused.value.message_dict["fields"][0]
    bad = console_as(manager).post("/console/organisation/administrators/", {"action": "directory",
                                                                             "fields_shown": ["id_number"]})
    assert bad.status_code == 200 and 'data-field="fields_shown"' in bad.content.decode()


def test_a_change_of_the_choice_is_audited_by_field_name(in_a, manager):
    directory_services.choose_directory_fields(actor=manager, fields=["mobile", "email"])
    entry = AuditEntry.objects.filter(action="directory_fields_chosen", actor=f"user:{manager.pk}").get()
    assert entry.changed_fields == ["directory_fields"]


def test_a_directory_page_costs_the_same_queries_whatever_its_size(in_a, manager, api_as):
    tree = make_tree()
    for number in range(30):
        make_employee(department=tree["frontend"], name=f"钱{number:02d}")
    directory_services.choose_directory_fields(actor=manager, fields=EVERY_FIELD)
    reader = api_as(make_employee(department=tree["hq"], name="读者").account)

    def queries_for(size):
        with CaptureQueriesContext(connection) as captured:
            response = reader.get("/api/v1/directory", {"search": "钱", "page_size": size})
        assert len(response.json()["results"]) == size
        assert all(row["mobile_masked"].count("*") == 4 for row in response.json()["results"])
        return len(captured.captured_queries)

    reader.get("/api/v1/directory")  # the first request of a session also records the token's use
    assert queries_for(2) == queries_for(30)


def test_the_shown_fields_are_documented_in_the_openapi_schema(in_a, client, enterprises):
    schema = client.get("/api/schema/", HTTP_HOST=enterprises.a.host).content.decode()
    for name in ("shown_fields", "mobile_masked", "landline_masked", "email_masked", "job_level",
                 "Present only when the enterprise shows"):
        assert name in schema
