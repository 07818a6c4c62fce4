"""Issue 12 §3: "The employment record is kept for its retention class, then erased by the engine."
The periodic task erases every leaver whose record's retention (settings.RETENTION_MONTHS
["employment_record"], from `left_at`) ended; a rehired person's new account is untouched."""
import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from accounts.throttling import login_identifier_digest
from audit.retention import months_before
from erasure import services, tasks
from erasure.models import ErasureJob
from orgdata.models import Employee
from orgdata.services import employees as employee_services
from tests.orgdata.factories import make_employee, resident_id


def _left(employee: Employee, *, manager, months_ago: int, days: int = 0) -> Employee:
    employee_services.update_employee(actor=manager, employee=employee, changes={"work_status": "left"})
    left_at = months_before(timezone.localdate(), months_ago) - timezone.timedelta(days=days)
    Employee.objects.filter(pk=employee.pk).update(left_at=left_at)
    return employee


def _started_by_retention_end() -> list[ErasureJob]:
    return list(ErasureJob.objects.filter(requested_by_system=services.RETENTION_END.name).order_by("pk"))


@pytest.mark.promise("S2")
def test_leavers_past_the_employment_records_retention_are_erased_by_the_periodic_task(in_a, manager):
    expired = _left(make_employee(name="离职久"), manager=manager, months_ago=24, days=1)
    recent = _left(make_employee(name="离职近"), manager=manager, months_ago=23)
    working = make_employee(name="在职")

    assert tasks.erase_leavers_past_retention.apply().get() == 1

    [job] = _started_by_retention_end()
    assert job.person_id == expired.account_id and job.reason == services.RETENTION_END_REASON
    assert tasks.run_erasure_job.apply(args=[job.pk]).get() == ErasureJob.Status.DONE
    assert not Employee.objects.filter(account_id=expired.account_id).exists()
    assert User.objects.get(pk=expired.account_id).display_name == ""
    assert set(Employee.objects.filter(pk__in=[recent.pk, working.pk]).values_list("pk", flat=True)) == {
        recent.pk, working.pk}
    # Run again: the erased person and those still within their retention are left alone.
    assert tasks.erase_leavers_past_retention.apply().get() == 0


def test_a_rehired_person_keeps_their_new_account_and_only_the_old_one_is_erased(in_a, manager):
    old = _left(make_employee(name="再入职", mobile="13912340088", employee_number="RH-1",
                              id_number=resident_id(sequence=881)), manager=manager, months_ago=30)
    new = make_employee(name="再入职", mobile="13912340088", employee_number="RH-2",
                        id_number=resident_id(sequence=881))
    # A failed sign-in with the login they use now: its lockout counter is the new account's.
    attempt = AccessAttempt.objects.create(
        username=login_identifier_digest("13912340088"), ip_address="10.9.8.7", user_agent="rehire-test",
        http_accept="*/*", path_info="/api/v1/auth/login", get_data="", post_data="", failures_since_start=1)
    AccessAttemptExpiration.objects.create(access_attempt=attempt, expires_at=timezone.now())

    assert tasks.erase_leavers_past_retention.apply().get() == 1
    [job] = _started_by_retention_end()
    assert job.person_id == old.account_id
    assert tasks.run_erasure_job.apply(args=[job.pk]).get() == ErasureJob.Status.DONE

    new.refresh_from_db()
    new.account.refresh_from_db()
    assert new.account.is_active and new.account.display_name == "再入职" and new.account.mobile == "13912340088"
    assert User.objects.with_mobile("13912340088").get() == new.account
    assert new.id_number == resident_id(sequence=881) and new.id_number_index
    assert not Employee.objects.filter(pk=old.pk).exists()
    assert AccessAttemptExpiration.objects.filter(access_attempt=attempt).exists()


def test_a_leaver_with_an_erasure_job_already_is_skipped(in_a, manager):
    leaver = _left(make_employee(), manager=manager, months_ago=36)
    services.erase_person(actor=manager, person=leaver.account, reason="asked before the period ended")

    assert tasks.erase_leavers_past_retention.apply().get() == 0
    assert ErasureJob.objects.filter(person_id=leaver.account_id).count() == 1


def test_the_period_is_the_setting_and_the_task_runs_every_day(in_a, manager, settings):
    leaver = _left(make_employee(), manager=manager, months_ago=30)
    settings.RETENTION_MONTHS = {**settings.RETENTION_MONTHS, "employment_record": 36}
    assert tasks.erase_leavers_past_retention.apply().get() == 0
    settings.RETENTION_MONTHS = {**settings.RETENTION_MONTHS, "employment_record": 24}
    assert [job.person_id for job in _started_by_retention_end()] == [] and \
        tasks.erase_leavers_past_retention.apply().get() == 1
    assert _started_by_retention_end()[0].person_id == leaver.account_id


def test_the_beat_schedule_fans_the_task_out_to_every_enterprise():
    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
               if entry.get("args") == ("erasure.tasks.erase_leavers_past_retention",)]
    assert [entry["task"] for entry in entries] == ["tenants.tasks.run_for_ready_enterprises"]
    assert tasks.erase_leavers_past_retention.name == "erasure.tasks.erase_leavers_past_retention"
