"""Issue 12, part 3: an administrator deletes an employee outright from the console, with the
employee number typed again; the engine runs and the job page shows its steps, no personal data."""
import hashlib
import json

import pytest

from django.utils import translation

from accounts.models import User
from attendance.models import CheckIn
from audit.models import AuditChain, AuditEntry
from audit.retention import months_after, retention_months
from audit.selectors import verify_audit_chain
from erasure import tasks
from erasure.models import ErasureJob, ErasureStep
from orgdata.models import Employee
from tests.erasure.factories import make_person_everywhere
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
    assert 'data-testid="certificate-link"' in body


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
    assert 'data-testid="erase-link"' in console.get(f"/console/organisation/employees/{inside.pk}/").content.decode()
    assert 'data-testid="erase-form"' in console.get(f"/console/organisation/employees/{inside.pk}/erase/").content.decode()
    # Another administrator's account (in the same departments) is the manager's alone to erase.
    other = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="另一个")
    assert console.get(f"/console/organisation/employees/{other.employee.pk}/erase/").status_code == 403
    assert _delete(console, other.employee).status_code == 403
    assert not ErasureJob.objects.exists()
    response = _delete(console, inside)
    job = ErasureJob.objects.get(person_id=inside.account_id)
    assert response.status_code == 302 and job.requested_by_id == deputy.pk
    assert console.get(response["Location"]).status_code == 200
    assert console_as(other).get(response["Location"]).status_code == 404


@pytest.mark.promise("R5")
def test_the_certificate_says_what_went_and_what_is_kept_hash_linked_to_the_audit_log(in_a, manager, console_as):
    person = make_person_everywhere(manager=manager)
    employee = Employee.objects.get(account=person)
    secrets = [person.display_name, person.mobile, employee.id_number]
    # When the kept rows' retention ends: the configured period after the person's latest clock.
    last_acted = AuditEntry.objects.filter(actor=f"user:{person.pk}").latest("id").occurred_at
    checked_in = CheckIn.objects.get(person=person).occurred_at
    months = retention_months()
    console = console_as(manager)
    job = ErasureJob.objects.get(pk=_delete(console, employee)["Location"].rstrip("/").rsplit("/", 1)[1])
    tasks.run_erasure_job.apply(args=[job.pk]).get()
    head = AuditChain.objects.get()

    response = console.get(f"/console/organisation/erasures/{job.pk}/certificate.json")

    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert not [secret for secret in secrets if secret and secret in text]
    certificate = json.loads(text)
    body = {key: value for key, value in certificate.items() if key != "sha256"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert certificate["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert (certificate["job"], certificate["status"], certificate["reason"]) == (
        job.pk, ErasureJob.Status.DONE, "asked to be forgotten (test)")
    assert certificate["requested_by"] == f"user:{manager.pk}" and certificate["person"] == f"user:{person.pk}"
    assert certificate["finished_at"] and certificate["requested_at"]
    assert "orgdata.Employee" in certificate["deleted"] and certificate["anonymised"]
    assert certificate["residue_scan"] == {"status": ErasureStep.Status.DONE, "residue": []}
    kept = {item["kept"]: item for item in certificate["kept"]}
    assert kept["audit.AuditEntry.actor"]["retention_class"] == "access_log"
    assert kept["audit.AuditEntry.actor"]["minimum_months"] == 6
    shredded = {item["field"]: item for item in certificate["crypto_shredded"]}
    assert shredded["attendance.CheckIn.location"]["retention_class"] == "transaction"
    assert shredded["attendance.CheckIn.location"]["clock_starts_at"] == "occurred_at"
    assert kept["audit.AuditEntry.actor"]["kept_until"] == months_after(
        last_acted, months["audit_log"]).date().isoformat()
    assert shredded["attendance.CheckIn.location"]["kept_until"] == months_after(
        checked_in, months["transaction"]).date().isoformat()
    assert kept["consent.DeletionNotice"]["kept_until"] is None  # kept as long as its purpose needs
    # Hash-linked: the chain's head as the job finished is an entry of the (intact) audit log.
    chain_head = certificate["audit_chain_head"]
    assert chain_head["id"] <= head.head_id
    assert AuditEntry.objects.get(pk=chain_head["id"]).hash == chain_head["hash"]
    assert verify_audit_chain().is_intact


def test_only_the_requester_and_the_manager_download_the_certificate(in_a, manager, console_as):
    tree = make_tree()
    inside = make_employee(department=tree["backend"], name="内部人", employee_number="IN-2")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    other = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="另一个")
    job_page = _delete(console_as(deputy), inside)["Location"]
    certificate = f"{job_page}certificate.json"
    assert console_as(deputy).get(certificate).status_code == 200
    assert console_as(manager).get(certificate).status_code == 200
    assert console_as(other).get(certificate).status_code == 404
    plain = make_employee(name="普通员工", employee_number="EMP-2")
    assert console_as(plain.account).get(certificate).status_code == 403


def test_the_status_labels_of_jobs_and_steps_are_translated(in_a, manager, console_as):
    person = make_employee(name="翻译")
    console = console_as(manager)
    job = ErasureJob.objects.get(pk=_delete(console, person)["Location"].rstrip("/").rsplit("/", 1)[1])
    ErasureJob.objects.filter(pk=job.pk).update(status=ErasureJob.Status.RUNNING)
    job.steps.filter(position=0).update(status=ErasureStep.Status.FAILED)

    page = console.get(f"/console/organisation/erasures/{job.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    # The labels are looked up in the reader's language as the page renders ("Running", "Failed"
    # already have their Chinese words; the others follow once the catalogue is regenerated).
    text = page.content.decode()
    assert 'data-testid="status">进行中<' in text and "<td>失败</td>" in text
    with translation.override("zh-hans"):
        assert str(ErasureJob.Status.RUNNING.label) == "进行中"
        assert str(ErasureStep.Status.FAILED.label) == "失败"
