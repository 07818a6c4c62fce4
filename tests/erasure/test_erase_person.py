"""Issue 12: the erasure engine erases one person from every table the data map classifies about
a person, through erasure.services (the path the task runs), and proves it with the residue scan."""
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from access.actors import SystemActor
from accounts.models import DeviceToken, User
from attendance.models import CheckIn
from consent import state_cache
from consent.models import DeletionNotice
from audit.selectors import verify_audit_chain
from core.errors import NotPermitted
from erasure import person_rows, services, tasks
from erasure.models import ErasureJob, ErasureStep
from orgdata.models import Employee
from privacy import cache_keys
from privacy.models import PersonKey
from tests.erasure.factories import make_person_everywhere
from tests.orgdata.factories import make_employee

PRIVACY_REQUEST = SystemActor("privacy request (test)")


def _erase(person, *, actor=PRIVACY_REQUEST):
    job = services.erase_person(actor=actor, person=person, reason="the person asked (test)")
    return services.run_erasure_job(job_id=job.pk)


def test_the_factory_fills_every_table_about_a_person(in_a, manager):
    person = make_person_everywhere(manager=manager)
    digests = services._former_identifier_digests(person)
    empty = [declaration.label for declaration in person_rows.tables_about_a_person()
             if not person_rows.rows_of(declaration, person, digests).exists()]
    assert empty == [], "grow tests/erasure/factories.make_person_everywhere for these tables"


@pytest.mark.promise("R3")
@pytest.mark.promise("R4")
@pytest.mark.promise("R5")
def test_erasing_a_person_leaves_a_tombstone_and_no_residue(in_a, manager):
    person = make_person_everywhere(manager=manager)
    employee = Employee.objects.get(account=person)
    files = [employee.avatar.name, employee.seal_image.name]
    assert all(default_storage.exists(name) for name in files)
    check_in_id = CheckIn.objects.get(person=person).pk

    job = _erase(person)

    assert job.status == ErasureJob.Status.DONE and job.residue == [] and job.finished_at
    assert set(job.steps.values_list("status", flat=True)) == {ErasureStep.Status.DONE}
    tombstone = User.objects.get(pk=person.pk)
    assert (tombstone.display_name, tombstone.mobile_index, tombstone.mobile) == ("", None, "")
    assert not tombstone.is_active and not tombstone.has_usable_password()
    assert not tombstone.groups.exists() and not tombstone.user_permissions.exists()
    assert not Employee.objects.filter(account_id=person.pk).exists()
    assert not DeviceToken.objects.filter(user_id=person.pk).exists()
    assert str(person.pk) not in {SessionStore().decode(session.session_data).get("_auth_user_id")
                                  for session in Session.objects.all()}
    assert not any(default_storage.exists(name) for name in files)
    # R4: crypto-shredded: the key is gone, the check-in kept by law reads as nothing.
    assert PersonKey.objects.get(pk=person.person_key_id).wrapped_key is None
    kept = CheckIn.objects.get(pk=check_in_id)
    assert kept.location is None and kept.place == ""
    assert "audit.AuditEntry.actor" in job.kept
    assert verify_audit_chain().is_intact
    # R3: the recipient the sharing ledger names is told (again: its earlier notice had failed).
    assert job.steps.get(name="tell_recipients").counts == {"notices_queued": 1}
    told = DeletionNotice.objects.filter(person_id=person.pk, status=DeletionNotice.Status.QUEUED)
    assert list(told.values_list("recipient__code", flat=True)) == ["affiliate.qince"]
    assert "consent.DeletionNotice" in job.kept


def test_erasing_twice_changes_nothing(in_a, manager):
    person = make_person_everywhere(manager=manager)
    first = _erase(person)
    after_first = User.objects.filter(pk=person.pk).values().get()
    again = services.run_erasure_job(job_id=first.pk)
    second = _erase(User.objects.get(pk=person.pk))
    assert again.status == second.status == ErasureJob.Status.DONE and second.residue == []
    assert User.objects.filter(pk=person.pk).values().get() == after_first


@pytest.mark.parametrize("completed_steps", [1, 3, 5])
def test_a_job_killed_between_steps_is_finished_by_the_recovery_task(in_a, manager, monkeypatch, completed_steps):
    person = make_person_everywhere(manager=manager)
    job = services.erase_person(actor=PRIVACY_REQUEST, person=person, reason="the person asked (test)")

    class WorkerKilled(BaseException):
        pass

    def killed(*args):
        raise WorkerKilled

    name, _ = services.STEPS[completed_steps]
    monkeypatch.setattr(services, "STEPS", tuple(
        (step_name, killed if step_name == name else step) for step_name, step in services.STEPS))
    with pytest.raises(WorkerKilled):
        services.run_erasure_job(job_id=job.pk)
    monkeypatch.undo()
    assert list(job.steps.filter(status=ErasureStep.Status.DONE).values_list("position", flat=True)) == list(
        range(completed_steps))

    ErasureJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - services.ABANDONED_AFTER * 2)
    assert tasks.recover_erasure_jobs.apply().get() == 1
    job.refresh_from_db()
    assert job.status == ErasureJob.Status.DONE and job.residue == []
    assert PersonKey.objects.get(pk=person.person_key_id).wrapped_key is None


def test_the_residue_scan_fails_the_job_loudly_naming_tables_never_values(in_a, manager, monkeypatch):
    person = make_person_everywhere(manager=manager)
    monkeypatch.setattr(services, "STEPS", tuple(
        step for step in services.STEPS if step[0] not in ("rows_by_data_map", "destroy_key")))
    job = services.erase_person(actor=PRIVACY_REQUEST, person=person, reason="the person asked (test)")
    with pytest.raises(services.ResidueFound):
        services.run_erasure_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ErasureJob.Status.FAILED
    assert {"orgdata_employee.*", "orgdata_employee.id_number_index", "privacy_personkey.wrapped_key",
            "accounts_user.mobile_index"} <= set(job.residue)
    assert job.steps.get(name="residue_scan").status == ErasureStep.Status.FAILED
    assert all("@" not in entry and "1390" not in entry for entry in job.residue)


def test_erasure_needs_the_capability(in_a, manager):
    person, colleague = make_employee().account, make_employee().account
    with pytest.raises(NotPermitted):
        services.erase_person(actor=colleague, person=person, reason="not theirs to ask")
    assert services.erase_person(actor=manager, person=person, reason="the person asked").requested_by == manager


@pytest.mark.promise("R5")
def test_erasure_refuses_the_manager_oneself_and_no_reason(in_a, manager):
    person = make_employee().account
    with pytest.raises(ValidationError) as no_manager:
        services.erase_person(actor=services.ERASURE_RECOVERY, person=manager, reason="asked")
    assert "person" in no_manager.value.message_dict
    with pytest.raises(NotPermitted):
        services.erase_person(actor=manager, person=manager, reason="asked")
    with pytest.raises(ValidationError) as no_reason:
        services.erase_person(actor=manager, person=person, reason="  ")
    assert "reason" in no_reason.value.message_dict
    assert not ErasureJob.objects.filter(person=person).exists()


@pytest.mark.promise("R4")
def test_erasing_leaves_no_cache_key_about_the_person(in_a, manager):
    person = make_person_everywhere(manager=manager)
    registered = cache_keys.keys_of(person.pk)
    assert {"consent_state", "consent_state_generation"} <= set(registered)
    for keys in registered.values():
        for key in keys:
            cache.set(key, 1, 600)  # a generation counter's shape; the state's does not matter here
    assert cache_keys.remaining_for(person.pk) == sorted(registered)

    job = _erase(person)

    assert job.status == ErasureJob.Status.DONE and job.residue == []
    assert not [key for keys in registered.values() for key in keys if cache.has_key(key)]
    assert job.steps.get(name="cached_values").counts == {"cache_kinds_deleted": len(registered)}


def test_the_residue_scan_names_a_cache_key_left_about_the_person(in_a, manager, monkeypatch):
    person = make_person_everywhere(manager=manager)
    monkeypatch.setattr(services, "STEPS", tuple(step for step in services.STEPS if step[0] != "cached_values"))
    job = services.erase_person(actor=PRIVACY_REQUEST, person=person, reason="the person asked (test)")
    cache.set(state_cache.state_key(person.pk), {"granted": {}}, 600)

    with pytest.raises(services.ResidueFound):
        services.run_erasure_job(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ErasureJob.Status.FAILED and "redis:consent_state" in job.residue
    assert [entry for entry in job.residue if entry.startswith("redis:")] == sorted(
        f"redis:{name}" for name in cache_keys.remaining_for(person.pk))


def test_per_person_cache_keys_are_of_the_enterprise_and_the_person():
    keys = cache_keys.keys_of(4242)
    assert keys and all(any("4242" in key for key in named) for named in keys.values())
