"""The console's employee list as a table for 100,000 people (issue 14): sortable columns, a page
jump, bulk actions on the ticked rows (move, work status, export) refused outside a
sub-administrator's scope and counted."""
import csv
import io
from datetime import date

import pytest

from accounts.models import User
from audit.models import AuditEntry
from orgdata.console.views.base import PAGE_SIZE
from orgdata.models import Employee
from tests.orgdata.factories import make_department, make_employee, make_sub_administrator, make_tree

LIST = "/console/organisation/employees/"
BULK = "/console/organisation/employees/bulk/"
CONFIRMED = {"confirmed": "yes"}


def _numbers_shown(response) -> list[str]:
    body = response.content.decode()
    table = body[body.index('data-testid="employee-list"'):body.index("</table>")]
    return [cell.split("<td>", 1)[1].split("</td>", 1)[0]
        for cell in table.split('<tr><td><input type="checkbox" name="selected"')[1:]]


@pytest.fixture
def team(in_a, manager, console_as):
    department = make_department("Sorting team")
    people = [make_employee(department=department, name="王五", employee_number="S-B", entry_date=date(2020, 1, 1)),
              make_employee(department=department, name="李四", employee_number="S-C", entry_date=date(2019, 1, 1)),
              make_employee(department=department, name="张三", employee_number="S-A", entry_date=date(2021, 1, 1))]
    return {"department": department, "people": people, "console": console_as(manager)}


def test_a_column_sorts_the_list_both_ways(team):
    console, department = team["console"], team["department"]
    by_number = console.get(LIST, {"department": department.pk})
    assert _numbers_shown(by_number) == ["S-A", "S-B", "S-C"]
    by_hire_date = console.get(LIST, {"department": department.pk, "sort": "hire_date"})
    assert _numbers_shown(by_hire_date) == ["S-C", "S-B", "S-A"]
    assert 'aria-sort="ascending"' in by_hire_date.content.decode()
    newest_first = console.get(LIST, {"department": department.pk, "sort": "-hire_date"})
    assert _numbers_shown(newest_first) == ["S-A", "S-B", "S-C"]
    by_number_descending = console.get(LIST, {"department": department.pk, "sort": "-employee_number"})
    assert _numbers_shown(by_number_descending) == ["S-C", "S-B", "S-A"]
    # The heading links keep the filters and flip the order of the sorted column.
    assert f"department={department.pk}&amp;sort=-hire_date" in by_hire_date.content.decode()


@pytest.mark.parametrize("sort", ["password", "-", "account__password", "name;drop", "-" * 500, "hire_daté", "--name"])
def test_a_sort_outside_the_list_is_ignored_not_a_500(team, sort):
    shown = team["console"].get(LIST, {"department": team["department"].pk, "sort": sort})
    assert shown.status_code == 200
    assert _numbers_shown(shown) == ["S-A", "S-B", "S-C"]


def test_the_page_jump_opens_the_page_asked_for_and_survives_nonsense(in_a, manager, console_as):
    department = make_department("Many")
    for index in range(PAGE_SIZE + 3):
        make_employee(department=department, name=f"人{index:02d}", employee_number=f"PJ-{index:03d}")
    console = console_as(manager)
    first = console.get(LIST, {"department": department.pk})
    assert 'data-testid="page-jump"' in first.content.decode() and 'max="2"' in first.content.decode()
    second = console.get(LIST, {"department": department.pk, "page": "2"})
    assert _numbers_shown(second) == [f"PJ-{index:03d}" for index in range(PAGE_SIZE, PAGE_SIZE + 3)]
    assert "Page 2 of 2 (28 people)" in second.content.decode()
    for nonsense in ("999", "-1", "abc", ""):
        assert console.get(LIST, {"department": department.pk, "page": nonsense}).status_code == 200


@pytest.fixture
def scoped(in_a, manager, console_as):
    tree = make_tree()
    inside = make_employee(department=tree["backend"], name="内部人", employee_number="BK-IN")
    outside = make_employee(department=tree["east"], name="外部人", employee_number="BK-OUT")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    return {"tree": tree, "inside": inside, "outside": outside, "deputy": deputy,
            "console": console_as(User.objects.get(pk=deputy.pk))}


def test_a_bulk_action_asks_for_confirmation_first(scoped):
    asked = scoped["console"].post(BULK, {"action": "move", "selected": [scoped["inside"].pk, scoped["outside"].pk],
                                          "department": scoped["tree"]["frontend"].pk})
    assert asked.status_code == 200 and 'data-testid="confirmation"' in asked.content.decode()
    assert "2 selected people are moved to HQ/R&amp;D/Front end." in asked.content.decode()
    assert "1 of them is not someone you administer: they are refused." in asked.content.decode()
    assert Employee.objects.get(pk=scoped["inside"].pk).department_id == scoped["tree"]["backend"].pk


@pytest.mark.promise("E5")
def test_a_bulk_move_changes_the_people_in_scope_and_counts_the_others_refused(scoped):
    inside, outside, tree = scoped["inside"], scoped["outside"], scoped["tree"]
    done = scoped["console"].post(BULK, {"action": "move", "selected": [inside.pk, outside.pk],
                                         "department": tree["frontend"].pk, **CONFIRMED}, follow=True)
    page = done.content.decode()
    assert "1 person changed." in page
    assert "1 selected person was refused" in page
    assert Employee.objects.get(pk=inside.pk).department_id == tree["frontend"].pk
    assert Employee.objects.get(pk=outside.pk).department_id == tree["east"].pk


def test_a_bulk_move_outside_the_sub_administrators_departments_is_refused(scoped):
    inside, tree = scoped["inside"], scoped["tree"]
    done = scoped["console"].post(BULK, {"action": "move", "selected": [inside.pk], "department": tree["east"].pk,
                                         **CONFIRMED})
    # East is not one of the deputy's departments: not even offered, so the form names the field.
    assert done.status_code == 400 and "department" in done.content.decode()
    assert Employee.objects.get(pk=inside.pk).department_id == tree["backend"].pk


@pytest.mark.promise("E5")
def test_setting_left_in_bulk_offboards_through_the_usual_path(scoped):
    inside, outside = scoped["inside"], scoped["outside"]
    done = scoped["console"].post(BULK, {"action": "status", "selected": [inside.pk, outside.pk],
                                         "work_status": Employee.WorkStatus.LEFT, **CONFIRMED}, follow=True)
    assert "1 person changed." in done.content.decode() and "1 selected person was refused" in done.content.decode()
    left = Employee.objects.select_related("account").get(pk=inside.pk)
    assert left.work_status == Employee.WorkStatus.LEFT and left.left_at is not None
    assert not left.account.is_active  # every way in closed
    kept = Employee.objects.select_related("account").get(pk=outside.pk)
    assert kept.work_status != Employee.WorkStatus.LEFT and kept.account.is_active


def test_a_refusal_of_the_single_edit_is_a_refusal_in_bulk_too(scoped, manager, console_as):
    inside = scoped["inside"]
    console = console_as(manager)
    console.post(BULK, {"action": "status", "selected": [inside.pk], "work_status": "left", **CONFIRMED})
    back = console.post(BULK, {"action": "status", "selected": [inside.pk], "work_status": "working", **CONFIRMED},
                        follow=True)
    assert "0 people changed." in back.content.decode() and "BK-IN: " in back.content.decode()
    assert Employee.objects.get(pk=inside.pk).work_status == Employee.WorkStatus.LEFT


@pytest.mark.promise("E5")
def test_exporting_the_selection_holds_only_people_in_scope_masked(scoped):
    inside, outside = scoped["inside"], scoped["outside"]
    exported = scoped["console"].post(BULK, {"action": "export", "selected": [inside.pk, outside.pk],
                                             "file_format": "csv", **CONFIRMED})
    assert exported.status_code == 200 and exported["X-Refused-Count"] == "1"
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 2  # the header and the one person in scope
    assert "BK-IN" in rows[1] and not any("BK-OUT" in cell for row in rows for cell in row)
    assert inside.account.mobile not in exported.content.decode("utf-8-sig")  # masked, as every export
    audited = AuditEntry.objects.filter(action="export_selected", object_type="orgdata.employee")
    assert list(audited.values_list("object_id", flat=True)) == [str(inside.pk)]


def test_exporting_only_people_outside_scope_is_refused(scoped):
    refused = scoped["console"].post(BULK, {"action": "export", "selected": [scoped["outside"].pk],
                                            "file_format": "csv", **CONFIRMED})
    assert refused.status_code == 400


@pytest.mark.parametrize("data", [
    {"action": "move"},
    {"action": "explode", "selected": ["1"]},
    {"action": "move", "selected": ["x"]},
    {"action": "move", "selected": ["99999999999999999999"]},
    {"action": "status", "selected": ["1"], "work_status": "retired"},
    {"action": "move", "selected": ["1"]},
])
def test_hostile_bulk_input_is_a_400_naming_the_field(scoped, data):
    answered = scoped["console"].post(BULK, {**data, **CONFIRMED})
    assert answered.status_code == 400
    assert 'data-testid="bulk-errors"' in answered.content.decode()


def test_selecting_too_many_is_refused(scoped):
    answered = scoped["console"].post(BULK, {"action": "export", "selected": [str(n) for n in range(1, 600)],
                                             **CONFIRMED})
    assert answered.status_code == 400
