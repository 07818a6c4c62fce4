"""One person at a time: adding creates the account (E2), optional fields never block (E3),
uniqueness and real rules (E7), sensitive values encrypted at rest (X1)."""
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import User
from orgdata import services
from orgdata.services import positions as position_services
from orgdata.models import Employee
from tests.orgdata.factories import make_department, make_employee, next_mobile, resident_id


@pytest.mark.promise("E2")
def test_adding_an_employee_creates_their_personal_account_from_mobile_and_name(in_a):
    employee = services.add_employee(mobile="+86 139 8888 0001", display_name=" 王小明 ", employee_number="E1")

    account = User.objects.with_mobile("13988880001").get()
    assert account == employee.account
    assert account.display_name == "王小明" and account.role == User.Role.EMPLOYEE
    assert not account.has_usable_password()  # activated or reset later, never self-registered
    assert employee.person_key_id == account.person_key_id


@pytest.mark.promise("E3")
def test_an_employee_with_every_optional_field_empty_is_complete_enough(in_a, api_client_for):
    employee = services.add_employee(mobile=next_mobile(), display_name="赵六", employee_number="E2",
                                     title="", gender="", residence="", country_region="", address="", qq="",
                                     wechat_id="", education="", landline="", email="", date_of_birth=None,
                                     entry_date=None, avatar=None, seal_image=None)
    assert employee.pk and employee.work_status == Employee.WorkStatus.WORKING
    # …and an administrator correcting only the mandatory facts is not asked for them either.
    services.update_employee(actor=User.objects.get(role=User.Role.MANAGER), employee=employee,
                             changes={"employee_number": "E2-B"})
    employee.refresh_from_db()
    assert employee.employee_number == "E2-B"


@pytest.mark.promise("E7")
def test_the_address_book_holds_identity_employment_and_contact_facts(in_a):
    department = make_department("Finance")
    position = position_services.create_position(actor=None, name="Accountant")
    level = position_services.create_job_level(actor=None, name="P5")
    employee = make_employee(department=department, position=position, job_level=level,
                             date_of_birth=date(1990, 3, 7), entry_date=date(2020, 5, 1),
                             id_number=resident_id(), landline="010 6234 5678", email="Zhang@Example.com")
    employee = Employee.objects.get(pk=employee.pk)
    assert (employee.department, employee.position, employee.job_level) == (department, position, level)
    assert employee.date_of_birth == date(1990, 3, 7) and employee.entry_date == date(2020, 5, 1)
    assert employee.id_number == resident_id()
    assert employee.landline.startswith("010-")


def test_the_id_number_is_stored_encrypted_and_found_by_its_blind_index(in_a):
    employee = make_employee(id_number=resident_id())
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM orgdata_employee WHERE id = %s", [employee.pk])
        stored = cursor.fetchone()[0]
    assert resident_id() not in stored and "1990" not in stored
    from orgdata.selectors import employees_with_id_number

    assert list(employees_with_id_number(resident_id())) == [employee]


@pytest.mark.parametrize("field, value, message", [
    ("mobile", "12345", "mobile"),
    ("id_number", "110105199003071230", "check digit"),
    ("email", "not-an-email", "email"),
])
def test_invalid_values_are_refused_field_by_field(in_a, field, value, message):
    values = {"mobile": next_mobile(), "display_name": "钱七", "employee_number": "E9", field: value}
    with pytest.raises(ValidationError) as refused:
        services.add_employee(**values)
    assert field in refused.value.message_dict
    assert message in " ".join(refused.value.message_dict[field]).lower()
    assert not Employee.objects.filter(employee_number="E9").exists()


def test_a_birth_date_contradicting_the_id_number_is_refused(in_a):
    with pytest.raises(ValidationError) as refused:
        make_employee(id_number=resident_id(birth=date(1990, 3, 7)), date_of_birth=date(1991, 1, 1))
    assert "date_of_birth" in refused.value.message_dict


def test_employee_number_mobile_and_id_number_are_unique_within_the_enterprise(in_a):
    first = make_employee(employee_number="U1", id_number=resident_id(sequence=1))
    with pytest.raises(ValidationError) as same_number:
        make_employee(employee_number="U1")
    assert "employee_number" in same_number.value.message_dict
    with pytest.raises(ValidationError) as same_mobile:
        make_employee(mobile=first.account.mobile)
    assert "mobile" in same_mobile.value.message_dict
    with pytest.raises(ValidationError) as same_id:
        make_employee(id_number=resident_id(sequence=1))
    assert "id_number" in same_id.value.message_dict
    assert Employee.objects.count() == 1


def test_the_same_mobile_number_may_work_for_two_enterprises(enterprises):
    from django_tenants.utils import schema_context

    for each in (enterprises.a, enterprises.b):
        with schema_context(each.schema_name):
            make_employee(mobile="13977770001", employee_number="SAME")
            assert User.objects.with_mobile("13977770001").count() == 1
