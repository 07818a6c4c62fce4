"""The department tree: create, rename, move, merge, delete-when-empty (E7)."""
import pytest
from django.core.exceptions import ValidationError

from orgdata.models import Department
from orgdata.selectors import scope as scope_selectors
from orgdata.services import departments as department_services
from tests.orgdata.factories import TEST_SETUP, make_department, make_employee, make_tree


def _labels():
    from orgdata.selectors.address_book import department_label

    return sorted(department_label(d) for d in Department.objects.all())


@pytest.mark.promise("E7")
def test_departments_form_a_tree_that_can_be_renamed_moved_and_merged(in_a):
    tree = make_tree()
    department_services.rename_department(department=tree["rnd"], name="Engineering", actor=TEST_SETUP)
    department_services.move_department(department=tree["frontend"], new_parent=tree["sales"], actor=TEST_SETUP)
    assert _labels() == ["HQ", "HQ/Engineering", "HQ/Engineering/Back end", "HQ/Sales", "HQ/Sales/East",
                         "HQ/Sales/Front end"]

    person = make_employee(department=tree["east"])
    department_services.merge_departments(source=tree["sales"], target=tree["rnd"], actor=TEST_SETUP)
    assert _labels() == ["HQ", "HQ/Engineering", "HQ/Engineering/Back end", "HQ/Engineering/East",
                         "HQ/Engineering/Front end"]
    person.refresh_from_db()
    assert person.department.name == "East" and person.department.path.startswith(tree["rnd"].path)


def test_a_department_cannot_move_under_itself_or_merge_into_its_own_child(in_a):
    tree = make_tree()
    with pytest.raises(ValidationError):
        department_services.move_department(department=tree["rnd"], new_parent=tree["backend"], actor=TEST_SETUP)
    with pytest.raises(ValidationError):
        department_services.merge_departments(source=tree["hq"], target=tree["sales"], actor=TEST_SETUP)
    assert _labels()[0] == "HQ"


def test_only_an_empty_department_can_be_deleted(in_a):
    tree = make_tree()
    with pytest.raises(ValidationError):
        department_services.delete_department(department=tree["sales"], actor=TEST_SETUP)  # has a sub-department
    make_employee(department=tree["backend"])
    with pytest.raises(ValidationError):
        department_services.delete_department(department=tree["backend"], actor=TEST_SETUP)  # has an employee
    department_services.delete_department(department=tree["frontend"], actor=TEST_SETUP)
    assert not Department.objects.filter(name="Front end").exists()


def test_sibling_names_are_unique_and_slashes_are_refused(in_a):
    hq = make_department("HQ")
    make_department("Ops", hq)
    with pytest.raises(ValidationError):
        make_department("Ops", hq)
    with pytest.raises(ValidationError):
        make_department("A/B", hq)


@pytest.mark.promise("E5")
def test_only_the_manager_merges_a_department_that_holds_administrator_grants(in_a, manager):
    from core.errors import NotPermitted
    from tests.orgdata.factories import make_sub_administrator

    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["hq"]], manager=manager, name="副管理员")
    back_end_admin = make_sub_administrator(departments=[tree["backend"]], manager=manager, name="后端管理员")
    deep = make_department("Platform", tree["backend"])
    with pytest.raises(NotPermitted):  # Back end holds a grant: merged, it would widen to Front end
        department_services.merge_departments(source=tree["backend"], target=tree["frontend"], actor=deputy)
    with pytest.raises(NotPermitted):  # and so does anything whose subtree holds one
        department_services.merge_departments(source=tree["rnd"], target=tree["sales"], actor=deputy)
    assert list(scope_selectors.administered_roots_of(back_end_admin)) == [tree["backend"]]
    assert Department.objects.filter(pk=tree["backend"].pk).exists()

    # A department without grants below it is the deputy's to merge.
    department_services.merge_departments(source=deep, target=tree["frontend"], actor=deputy)
    assert not Department.objects.filter(pk=deep.pk).exists()
    # The manager decides about scopes: their merge moves the grant along.
    department_services.merge_departments(source=tree["backend"], target=tree["frontend"], actor=manager)
    assert list(scope_selectors.administered_roots_of(back_end_admin)) == [tree["frontend"]]


@pytest.mark.promise("E7")
def test_departments_created_in_bulk_are_what_one_at_a_time_would_make(in_a):
    """An import creates its departments a level at a time (create_departments): same paths,
    same refusals, same audit entries as one at a time."""
    from audit.models import AuditEntry

    tree = make_tree()
    made = department_services.create_departments(
        wanted=[(None, "Branch"), (tree["rnd"], "Data"), (tree["east"], " Shanghai ")], actor=TEST_SETUP)
    assert [department.name for department in made] == ["Branch", "Data", "Shanghai"]
    for department in made:
        department.refresh_from_db()
        parent_path = department.parent.path if department.parent else "/"
        assert department.path == f"{parent_path}{department.pk}/"
    assert "HQ/Sales/East/Shanghai" in _labels() and "Branch" in _labels()
    # The same audit entries as create_department records (none while a department holds no
    # declared personal information; both, should it ever hold some).
    one_at_a_time = department_services.create_department(name="Single", parent=tree["hq"], actor=TEST_SETUP)

    def entries_of(department):
        return [(entry.action, sorted(entry.changed_fields)) for entry in AuditEntry.objects.filter(
            object_type="orgdata.department", object_id=str(department.pk)).order_by("id")]

    assert entries_of(made[1]) == entries_of(one_at_a_time)

    count = Department.objects.count()
    for wanted in ([(tree["hq"], "Sales")],  # a sibling has the name already
                   [(tree["hq"], "Legal"), (tree["hq"], "Legal")],  # twice in one request
                   [(None, "HQ")],  # a top-level name is taken too
                   [(tree["hq"], "Legal"), (tree["hq"], "A/B")]):  # a slash, after a good one
        with pytest.raises(ValidationError):
            department_services.create_departments(wanted=wanted, actor=TEST_SETUP)
    assert Department.objects.count() == count  # nothing of a refused request is written


@pytest.mark.promise("E5")
def test_a_sub_administrator_creates_departments_in_bulk_only_inside_their_own(in_a, manager):
    from access.errors import NotInYourScope
    from core.errors import NotPermitted
    from tests.orgdata.factories import make_sub_administrator

    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    count = Department.objects.count()
    with pytest.raises(NotInYourScope):
        department_services.create_departments(wanted=[(tree["backend"], "API"), (tree["sales"], "West")],
                                               actor=deputy)
    with pytest.raises(NotPermitted):
        department_services.create_departments(wanted=[(None, "Branch")], actor=deputy)
    assert Department.objects.count() == count
    made = department_services.create_departments(wanted=[(tree["backend"], "API")], actor=deputy)
    assert made[0].path.startswith(tree["rnd"].path)
