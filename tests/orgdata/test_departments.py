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
