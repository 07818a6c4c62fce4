"""The console dashboard shows the organisation as charts with their numbers as tables; small
counts are not shown (S3), and a sub-administrator sees their own subtree only (E5)."""
import json
import re

import pytest

from orgdata.models import Employee
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree


@pytest.fixture
def organisation(in_a, manager):
    tree = make_tree()
    for index in range(6):
        make_employee(department=tree["backend"], name=f"后端{index}", employee_number=f"DB-B{index}")
    for index in range(2):
        make_employee(department=tree["frontend"], name=f"前端{index}", employee_number=f"DB-F{index}")
    for index in range(7):
        make_employee(department=tree["east"], name=f"华东{index}", employee_number=f"DB-E{index}")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="研发主管")
    return {"tree": tree, "deputy": deputy}


def _table(page: str, key: str) -> dict[str, list[str]]:
    """A chart's numbers table as {row heading: cells}."""
    table = re.search(rf'<table data-testid="chart-{key}-table">(.*?)</table>', page, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S):
        rows[row[0]] = re.findall(r'<td class="number">(.*?)</td>', row[1])
    return rows


def _chart_data(page: str) -> dict:
    return json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S).group(1))


@pytest.mark.promise("S3")
def test_the_manager_sees_headcount_by_department_with_small_counts_not_shown(organisation, manager, console_as):
    page = console_as(manager).get("/console/").content.decode()

    headcount = _table(page, "headcount")
    assert headcount["R&amp;D"] == ["9"]  # back end 6, front end 2, the sub-administrator 1
    assert headcount["Sales"] == ["7"]
    drawn = _chart_data(page)["headcount"]
    drawn_counts = dict(zip(drawn["categories"], drawn["series"][0]["data"]))
    assert drawn_counts["R&D"] == 9 and drawn_counts["Sales"] == 7
    for key in ("consent", "policy", "imports", "rights"):
        assert f'data-testid="chart-{key}"' in page


@pytest.mark.promise("E5")
@pytest.mark.promise("S3")
def test_a_sub_administrator_sees_counts_and_charts_of_their_subtree_only(organisation, console_as):
    page = console_as(organisation["deputy"]).get("/console/").content.decode()

    assert re.search(r'data-testid="employee-count">(\d+)<', page).group(1) == "9"
    assert re.search(r'data-testid="department-count">(\d+)<', page).group(1) == "3"
    headcount = _table(page, "headcount")
    assert headcount == {"Back end": ["6"], "Front end": ["&lt;5"], "R&amp;D (directly)": ["&lt;5"]}
    drawn = _chart_data(page)["headcount"]
    assert drawn["series"][0]["data"] == [6, None, None]  # a suppressed count is a gap, not a bar
    assert "Sales" not in page and "East" not in page
    # Consent and policy counts are over the same people: the 9 of the subtree.
    assert "out of 9 active people" in page
    assert 'data-testid="chart-rights"' not in page  # rights requests are the manager's


def test_the_manager_still_counts_everyone(organisation, manager, console_as):
    page = console_as(manager).get("/console/").content.decode()
    assert int(re.search(r'data-testid="employee-count">(\d+)<', page).group(1)) == Employee.objects.count()


def test_a_sub_administrator_without_departments_sees_an_empty_dashboard(in_a, console_as):
    from accounts.models import User
    from tests.accounts.factories import UserFactory

    nobody_s_deputy = UserFactory(mobile="13612349177", role=User.Role.SUB_ADMIN)
    page = console_as(nobody_s_deputy).get("/console/")
    assert page.status_code == 200
    assert re.search(r'data-testid="employee-count">(\d+)<', page.content.decode()).group(1) == "0"
    assert "No departments with people yet." in page.content.decode()
