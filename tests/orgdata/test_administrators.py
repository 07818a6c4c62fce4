"""Administrators (E5): manager transfer with re-authentication, sub-administrators, password
resets, corrections of enterprise data."""
import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from core.errors import NotPermitted
from orgdata.services import administrators as administrator_services
from tests.orgdata.conftest import PASSWORD
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree
from tests.accounts.signing_in import api_login

CONFIRMED = {"confirmed": "yes"}  # sent by the confirmation page (core.confirmation)


@pytest.mark.promise("E5")
def test_the_manager_hands_over_the_role_after_re_authenticating(in_a, manager):
    successor = make_employee(name="接班人").account
    with pytest.raises(ValidationError) as wrong:
        administrator_services.transfer_manager_role(actor=manager, password="wrong", new_manager=successor)
    assert "password" in wrong.value.message_dict
    administrator_services.transfer_manager_role(actor=manager, password=in_a.admin_password, new_manager=successor)

    assert list(User.objects.filter(role=User.Role.MANAGER)) == [successor]
    manager.refresh_from_db()
    assert manager.role == User.Role.EMPLOYEE
    with pytest.raises(NotPermitted):
        administrator_services.transfer_manager_role(actor=manager, password=in_a.admin_password, new_manager=successor)


@pytest.mark.promise("E5")
def test_a_password_reset_forces_a_change_at_next_sign_in(in_a, manager, api_client_for):
    person = make_employee()
    temporary = administrator_services.reset_employee_password(actor=manager, employee=person)
    person.account.refresh_from_db()
    assert person.account.check_password(temporary) and person.account.must_change_password
    login = api_login(api_client_for(in_a), {"mobile": person.account.mobile, "password": temporary,
                                                              "device_id": "device-reset-1"})
    assert login.json()["user"]["must_change_password"] is True


@pytest.mark.promise("E5")
def test_the_manager_appoints_and_removes_sub_administrators_scoped_to_subtrees(in_a, manager):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    from orgdata.selectors import scope as scope_selectors

    assert deputy.role == User.Role.SUB_ADMIN
    assert sorted(d.name for d in scope_selectors.departments_visible_to(deputy)) == ["Back end", "Front end", "R&D"]
    assert deputy.has_perm("orgdata.administer_department", tree["rnd"])  # guardian object permission

    administrator_services.remove_sub_administrator(actor=manager, person=deputy)
    deputy.refresh_from_db()
    assert deputy.role == User.Role.EMPLOYEE and not scope_selectors.departments_visible_to(deputy).exists()


def test_a_sub_administrator_cannot_appoint_or_transfer(in_a, manager):
    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager)
    other = make_employee(department=tree["backend"]).account
    with pytest.raises(NotPermitted):
        administrator_services.appoint_sub_administrator(actor=deputy, person=other, departments=[tree["backend"]])
    deputy.set_password(PASSWORD)
    with pytest.raises(NotPermitted):
        administrator_services.transfer_manager_role(actor=deputy, password=PASSWORD, new_manager=other)


@pytest.mark.promise("E5")
def test_the_manager_corrects_the_enterprise_profile(in_a, manager):
    from tenants.models import Enterprise

    enterprise = Enterprise.objects.get(pk=in_a.enterprise.pk)
    administrator_services.correct_enterprise_profile(actor=manager,
                                                      changes={"location": "北京市海淀区", "industry": "Retail"})
    enterprise.refresh_from_db()
    assert (enterprise.location, enterprise.industry) == ("北京市海淀区", "Retail")
    with pytest.raises(ValidationError):
        administrator_services.correct_enterprise_profile(actor=manager, changes={"industry": ""})


@pytest.fixture
def deputy_above_administrators(in_a, manager):
    """A sub-administrator of R&D whose subtree holds the enterprise manager's record (the role
    went to someone in Back end) and another sub-administrator's, each with a known password."""
    from orgdata.models import Employee

    tree = make_tree()
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    boss = make_employee(department=tree["backend"], name="新经理")
    manager.set_password(PASSWORD)
    manager.save(update_fields=["password"])
    new_manager = administrator_services.transfer_manager_role(actor=manager, password=PASSWORD,
                                                               new_manager=boss.account)
    other = make_sub_administrator(departments=[tree["frontend"]], manager=new_manager, name="另一管理员")
    plain = make_employee(department=tree["backend"], name="普通员工")
    targets = {"manager": Employee.objects.get(account=new_manager),
               "sub-administrator": Employee.objects.get(account=other)}
    for employee in (*targets.values(), plain):
        employee.account.set_password(PASSWORD)
        employee.account.save(update_fields=["password"])
    return deputy, targets, plain


def _password_unchanged(employee) -> bool:
    account = User.objects.get(pk=employee.account.pk)
    return account.check_password(PASSWORD) and not account.must_change_password


@pytest.mark.promise("E5")
def test_a_sub_administrator_cannot_reset_another_administrators_password_in_the_console(
        deputy_above_administrators, console_as):
    deputy, targets, plain = deputy_above_administrators
    console = console_as(deputy)
    for role, target in targets.items():
        assert console.get(f"/console/organisation/employees/{target.pk}/").status_code == 200, role  # in scope
        refused = console.post(f"/console/organisation/employees/{target.pk}/reset-password/", CONFIRMED)
        assert refused.status_code == 403, role
        assert 'data-testid="temporary-password"' not in refused.content.decode()
        assert _password_unchanged(target), role
    # The same page resets a plain employee of the deputy's departments: the refusal is about whom.
    done = console.post(f"/console/organisation/employees/{plain.pk}/reset-password/", CONFIRMED)
    assert done.status_code == 200 and 'data-testid="temporary-password"' in done.content.decode()
    assert not _password_unchanged(plain)
