"""Issue 12, part 3: an administrator deletes an employee outright from the console, with the
employee number typed again; the engine runs and the job page shows its steps, no personal data."""
import pytest

from accounts.models import User
from erasure import tasks
from erasure.models import ErasureJob, ErasureStep
from orgdata.models import Employee
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree


def _delete(console, employee, *, confirmation=None, reason="asked to be forgotten (test)"):
    typed = employee.employee_number if confirmation is None else confirmation
    return console.post(f"/console/organisation/employees/{employee.pk}/erase/",
                        {"confirmation": typed, "reason": reason})


@pytest.mark.promise("R4")
@pytest.mark.promise("R5")
def test_the_manager_deletes_an_employee_and_follows_the_job(in_a, manager, console_as):
    employee = make_employee(name="待删除", employee_number="DEL-1")
    console = console_as(manager)
    page = console.get(f"/console/organisation/employees/{employee.pk}/").content.decode()
    assert 'data-testid="erase-form"' in page

    response = _delete(console, employee)

    job = ErasureJob.objects.get(person_id=employee.account_id)
    assert response.status_code == 302 and response["Location"] == f"/console/organisation/erasures/{job.pk}/"
    # The real task, in-process (the on-commit delay goes to a broker the test does not drain).
    assert tasks.run_erasure_job.apply(args=[job.pk]).get() == ErasureJob.Status.DONE
    tombstone = User.objects.get(pk=employee.account_id)
    assert tombstone.display_name == "" and tombstone.mobile == "" and not tombstone.is_active
    assert not Employee.objects.filter(pk=employee.pk).exists()

    shown = console.get(response["Location"])
    body = shown.content.decode()
    assert shown.status_code == 200 and str(ErasureJob.Status.DONE.label) in body
    assert body.count('data-testid="step"') == ErasureStep.objects.filter(job=job).count()
    assert "待删除" not in body and employee.account.mobile not in body


def test_a_wrong_confirmation_is_a_field_error_and_erases_nothing(in_a, manager, console_as):
    employee = make_employee(name="留下", employee_number="KEEP-1")
    response = _delete(console_as(manager), employee, confirmation="KEEP-2")
    assert response.status_code == 400
    assert "This is not the employee number of the person shown." in response.content.decode()
    assert not ErasureJob.objects.exists()
    assert Employee.objects.filter(pk=employee.pk).exists()
    assert User.objects.get(pk=employee.account_id).display_name == "留下"


def test_a_sub_administrator_cannot_delete_outside_their_scope(in_a, manager, console_as):
    tree = make_tree()
    outside = make_employee(department=tree["east"], name="外部人", employee_number="OUT-1")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    response = _delete(console_as(deputy), outside)
    assert response.status_code == 404
    assert not ErasureJob.objects.exists() and Employee.objects.filter(pk=outside.pk).exists()


def test_an_employee_may_not_delete_anyone(in_a, manager, console_as):
    colleague = make_employee(name="同事", employee_number="COL-1")
    plain = make_employee(name="普通员工", employee_number="EMP-1")
    response = _delete(console_as(plain.account), colleague)
    assert response.status_code == 403
    assert not ErasureJob.objects.exists() and Employee.objects.filter(pk=colleague.pk).exists()


@pytest.mark.promise("R5")
def test_a_sub_administrator_deletes_a_plain_employee_in_scope(in_a, manager, console_as):
    tree = make_tree()
    inside = make_employee(department=tree["backend"], name="内部人", employee_number="IN-1")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    console = console_as(deputy)
    response = _delete(console, inside)
    job = ErasureJob.objects.get(person_id=inside.account_id)
    assert response.status_code == 302 and job.requested_by_id == deputy.pk
    assert console.get(response["Location"]).status_code == 200
    other = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="另一个")
    assert console_as(other).get(response["Location"]).status_code == 404
