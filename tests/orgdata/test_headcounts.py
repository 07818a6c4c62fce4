"""A department's headcount counts its whole subtree, with one definition on every page (issue 14):
the tree page, the department's page and the mobile API's department list agree."""
import html as html_module
import re

import pytest

from orgdata.models import Employee
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree


def _tree_counts(html: str) -> dict[str, int]:
    return {html_module.unescape(name): int(count) for name, count in re.findall(
        r'<a href="/console/organisation/departments/\d+/">([^<]+)</a></td><td>(\d+)</td>', html)}


def _page_count(html: str) -> int:
    return int(re.search(r"(\d+) employees?</p>", html).group(1))


@pytest.fixture
def staffed_tree(in_a):
    tree = make_tree()
    for department, people in (("hq", 1), ("backend", 3), ("frontend", 2), ("east", 4)):
        for _ in range(people):
            make_employee(department=tree[department])
    return tree


def test_the_tree_page_and_each_department_page_count_the_subtree(staffed_tree, manager, console_as):
    console = console_as(manager)
    counts = _tree_counts(console.get("/console/organisation/departments/").content.decode())
    assert counts == {"HQ": 10, "R&D": 5, "Back end": 3, "Front end": 2, "Sales": 4, "East": 4}
    for key, name in (("hq", "HQ"), ("rnd", "R&D"), ("east", "East")):
        page = console.get(f"/console/organisation/departments/{staffed_tree[key].pk}/").content.decode()
        assert _page_count(page) == counts[name]


def test_a_sub_administrator_counts_only_their_subtrees(staffed_tree, manager, console_as):
    deputy = make_sub_administrator(departments=[staffed_tree["rnd"]], manager=manager)  # one more in R&D
    console = console_as(deputy)
    counts = _tree_counts(console.get("/console/organisation/departments/").content.decode())
    assert counts == {"R&D": 6, "Back end": 3, "Front end": 2}
    page = console.get(f"/console/organisation/departments/{staffed_tree['rnd'].pk}/").content.decode()
    assert _page_count(page) == 6


def test_the_api_department_list_counts_the_subtree_of_people_still_employed(staffed_tree, api_as):
    me = make_employee(department=staffed_tree["east"])
    leaver = Employee.objects.filter(department=staffed_tree["backend"]).first()
    Employee.objects.filter(pk=leaver.pk).update(work_status=Employee.WorkStatus.LEFT)
    rows = {row["name"]: row["employee_count"] for row in api_as(me.account).get("/api/v1/departments").json()}
    assert rows == {"HQ": 10, "R&D": 4, "Back end": 2, "Front end": 2, "Sales": 5, "East": 5}
