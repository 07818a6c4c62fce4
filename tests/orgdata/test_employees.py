"""One person at a time: adding creates the account (E2), optional fields never block (E3),
uniqueness and real rules (E7), sensitive values encrypted at rest (X1)."""
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import User
from orgdata.models import Employee
from orgdata.services import employees as employee_services
from orgdata.services import positions as position_services
from tests.orgdata.factories import TEST_SETUP, make_department, make_employee, next_mobile, resident_id


@pytest.mark.promise("E2")
def test_adding_an_employee_creates_their_personal_account_from_mobile_and_name(in_a):
    employee = employee_services.add_employee(mobile="+86 139 8888 0001", display_name=" 王小明 ",
                                              employee_number="E1", actor=TEST_SETUP)

    account = User.objects.with_mobile("13988880001").get()
    assert account == employee.account
    assert account.display_name == "王小明" and account.role == User.Role.EMPLOYEE
    assert not account.has_usable_password()  # activated or reset later, never self-registered
    assert employee.person_key_id == account.person_key_id


@pytest.mark.promise("E3")
def test_an_employee_with_every_optional_field_empty_is_complete_enough(in_a, api_as):
    employee = employee_services.add_employee(mobile=next_mobile(), display_name="赵六", employee_number="E2",
                                              actor=TEST_SETUP,
                                              title="", gender="", residence="", country_region="", address="", qq="",
                                              wechat_id="", education="", landline="", email="", date_of_birth=None,
                                              entry_date=None, avatar=None, seal_image=None)
    assert employee.pk and employee.work_status == Employee.WorkStatus.WORKING
    # The person signs in, reads their profile, finds themselves in the directory and supplements
    # one optional field while the others stay empty.
    api = api_as(employee.account)
    profile = api.get("/api/v1/me/profile")
    assert profile.status_code == 200 and profile.json()["display_name"] == "赵六"
    listed = api.get("/api/v1/directory", {"search": "赵六"}).json()["results"]
    assert [row["display_name"] for row in listed] == ["赵六"]
    supplemented = api.patch("/api/v1/me/profile", {"qq": "12345678"}, format="json")
    assert supplemented.status_code == 200, supplemented.content
    assert supplemented.json()["qq"] == "12345678"
    # …and an administrator correcting only the mandatory facts is not asked for them either.
    employee_services.update_employee(actor=User.objects.get(role=User.Role.MANAGER), employee=employee,
                                      changes={"employee_number": "E2-B"})
    employee.refresh_from_db()
    assert employee.employee_number == "E2-B"


@pytest.mark.promise("E7")
def test_the_address_book_holds_identity_employment_and_contact_facts(in_a):
    department = make_department("Finance")
    position = position_services.create_position(actor=TEST_SETUP, name="Accountant")
    level = position_services.create_job_level(actor=TEST_SETUP, name="P5")
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
    from orgdata.selectors.address_book import employees_with_id_number

    assert list(employees_with_id_number(resident_id())) == [employee]


@pytest.mark.parametrize("field, value, message", [
    ("mobile", "12345", "mobile"),
    ("id_number", "110105199003071230", "check digit"),
    ("email", "not-an-email", "email"),
])
def test_invalid_values_are_refused_field_by_field(in_a, field, value, message):
    values = {"mobile": next_mobile(), "display_name": "钱七", "employee_number": "E9", field: value}
    with pytest.raises(ValidationError) as refused:
        employee_services.add_employee(**values, actor=TEST_SETUP)
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


def test_a_birth_date_changed_alone_must_agree_with_the_stored_id_number(in_a, manager, api_as):
    person = make_employee(id_number=resident_id(birth=date(1990, 3, 7)))
    assert person.date_of_birth == date(1990, 3, 7)
    with pytest.raises(ValidationError) as refused:
        employee_services.update_employee(actor=manager, employee=person, changes={"date_of_birth": date(1991, 1, 1)})
    assert list(refused.value.message_dict) == ["date_of_birth"]
    through_the_api = api_as(manager).patch(f"/api/v1/admin/employees/{person.pk}",
                                            {"date_of_birth": "1991-01-01"}, format="json")
    assert through_the_api.status_code == 400 and "date_of_birth" in through_the_api.json()["fields"]
    assert Employee.objects.get(pk=person.pk).date_of_birth == date(1990, 3, 7)
    # A new ID number brings its own birth date; an agreeing date is accepted.
    employee_services.update_employee(actor=manager, employee=person,
                                      changes={"id_number": resident_id(birth=date(1991, 1, 1), sequence=7)})
    employee_services.update_employee(actor=manager, employee=person, changes={"date_of_birth": date(1991, 1, 1)})
    assert Employee.objects.get(pk=person.pk).date_of_birth == date(1991, 1, 1)
    with pytest.raises(ValidationError):  # and the person's own profile keeps refusing it too (R1)
        employee_services.update_own_profile(person=person.account, changes={"date_of_birth": date(1990, 3, 7)})


def _id_number_legal_bases(account):
    from consent.models import LegalBasisRecord

    return list(LegalBasisRecord.objects.filter(person=account, purpose__code="sensitive.id_number"))


@pytest.mark.promise("C12")
def test_writing_an_id_number_records_its_legal_basis_never_the_number(in_a, manager):
    with_id = make_employee(id_number=resident_id(sequence=11))
    [record] = _id_number_legal_bases(with_id.account)
    assert record.basis == "contract_necessity" and record.reference == "employment record"
    assert record.purpose.is_sensitive and record.purpose_revision == record.purpose.revision
    assert resident_id(sequence=11) not in record.reference

    without_id = make_employee()
    assert _id_number_legal_bases(without_id.account) == []
    employee_services.update_employee(actor=manager, employee=without_id, changes={"title": "工程师"})
    assert _id_number_legal_bases(without_id.account) == []
    employee_services.update_employee(actor=manager, employee=without_id,
                                      changes={"id_number": resident_id(sequence=12)})
    [later] = _id_number_legal_bases(without_id.account)
    assert later.basis == "contract_necessity" and later.recorded_by == manager
    # Saving the same number again writes nothing, so records nothing.
    employee_services.update_employee(actor=manager, employee=without_id,
                                      changes={"id_number": resident_id(sequence=12)})
    assert len(_id_number_legal_bases(without_id.account)) == 1


@pytest.mark.promise("C12")
def test_an_id_number_set_through_the_api_records_its_legal_basis(in_a, manager, api_as):
    person = make_employee()
    response = api_as(manager).patch(f"/api/v1/admin/employees/{person.pk}",
                                     {"id_number": resident_id(sequence=13)}, format="json")
    assert response.status_code == 200, response.content
    [record] = _id_number_legal_bases(person.account)
    assert record.basis == "contract_necessity" and record.recorded_by == manager
