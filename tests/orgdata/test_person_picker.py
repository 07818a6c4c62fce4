"""The person picker (issue 14): every form that picks a person takes a part of the name, the
employee number or the full mobile number; the JSON endpoint feeding its list is scoped."""
import pytest

from accounts.models import User
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

PICK = "/console/organisation/employees/pick/"
ADMINISTRATORS = "/console/organisation/administrators/"


@pytest.fixture
def people(in_a, manager, console_as):
    tree = make_tree()
    return {"tree": tree,
            "first": make_employee(department=tree["backend"], name="欧阳明", employee_number="PK-001"),
            "second": make_employee(department=tree["backend"], name="欧阳亮", employee_number="PK-002"),
            "outside": make_employee(department=tree["east"], name="欧阳外", employee_number="PK-003"),
            "manager": manager, "console_as": console_as}


@pytest.mark.promise("E5")
def test_the_picker_finds_by_name_number_or_mobile_within_scope(people, manager, console_as):
    deputy = make_sub_administrator(departments=[people["tree"]["rnd"]], manager=manager, name="副管理员")
    console = console_as(User.objects.get(pk=deputy.pk))
    by_name = console.get(PICK, {"q": "欧阳"}).json()["results"]
    assert [match["employee_number"] for match in by_name] == ["PK-001", "PK-002"]  # not PK-003: outside
    assert by_name[0]["label"] == "欧阳明 (PK-001)"
    assert [m["employee_number"] for m in console.get(PICK, {"q": "PK-00"}).json()["results"]] == ["PK-001", "PK-002"]
    mobile = people["second"].account.mobile
    assert [m["employee_number"] for m in console.get(PICK, {"q": mobile}).json()["results"]] == ["PK-002"]
    assert console.get(PICK, {"q": people["outside"].account.mobile}).json()["results"] == []
    assert console.get(PICK, {"q": ""}).json()["results"] == []  # never everyone
    assert console.get(PICK, {"q": "x" * 5000}).status_code == 200


def test_a_name_part_picks_the_one_person_it_matches(people):
    console = people["console_as"](people["manager"])
    appointed = console.post(ADMINISTRATORS, {"action": "appoint", "account": "欧阳明",
                                              "departments": [people["tree"]["rnd"].pk]})
    assert appointed.status_code == 302
    assert User.objects.get(pk=people["first"].account_id).role == User.Role.SUB_ADMIN


def test_a_name_part_matching_several_lists_them_to_choose_from(people):
    console = people["console_as"](people["manager"])
    several = console.post(ADMINISTRATORS, {"action": "appoint", "account": "欧阳",
                                            "departments": [people["tree"]["rnd"].pk]})
    page = several.content.decode()
    assert "Several people match" in page and "欧阳明 (PK-001)" in page and "欧阳亮 (PK-002)" in page
    assert User.objects.get(pk=people["first"].account_id).role == User.Role.EMPLOYEE
    # The form's box carries the picker's list for browsers with script.
    assert 'list="id_account-results"' in page and 'data-testid="person-picker-results"' in page
