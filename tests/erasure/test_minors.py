"""M2: "When real-name data reveals a minor, or a guardian reports one, the case is verified and the
data deleted or anonymised promptly; information of children under 14 is deleted as soon as found."
M1: "No service under the legal working age (16) even with guardian consent; 16–18 only with
guardian consent and supervision." (The guardian's consent itself: tests/consent/test_guardian_consent.py.)

Through the paths a user takes: the console's add and edit forms, the administrator's and the
person's own API, the bulk import (the function its worker runs, in-process), the guardian's report
on the employee page and the manager's minors page. Ages are counted from today, so the 14, 16 and
18 lines are each tested on both sides of a birthday.
"""
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as account_services
from accounts.models import DeviceToken, User
from audit.models import AuditEntry
from erasure import services as erasure_services
from erasure import tasks
from erasure.models import ErasureJob, MinorCase
from orgdata.models import Employee, ImportJob
from orgdata.services.imports import jobs as import_services
from orgdata.services.minors import MINOR_PROTECTION
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree, resident_id
from tests.orgdata.importing import processed

CHILD_REFUSAL = "This person is under 14: information of children under 14 cannot be collected."
UNDER_16_REFUSAL = ("This person is under 16, the legal working age: no account, even with a guardian&#x27;s "
                    "consent.")
UNDER_16 = UNDER_16_REFUSAL.replace("&#x27;", "'")
IMPORT_HEADER = "工号,姓名,手机号,出生日期,身份证号\n"


def _born(years: int, *, days_later: int = 0) -> date:
    """The birth date of someone who turns `years` old `days_later` days from today."""
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        birthday = date(today.year - years, 3, 1)
    return birthday + timedelta(days=days_later)


def _run_erasure_of(person) -> ErasureJob:
    """The erasure job the finding started, run by the real task in-process (the on-commit send goes
    to a broker the test does not drain); asserts the person's information is gone."""
    job = ErasureJob.objects.get(person_id=person.pk)
    assert "M2" in job.reason and job.requested_by_system in ("", MINOR_PROTECTION.name)
    assert tasks.run_erasure_job.apply(args=[job.pk]).get() == ErasureJob.Status.DONE
    job.refresh_from_db()
    assert job.residue == [] and erasure_services.scan_for_residue(job, User.objects.get(pk=person.pk)) == []
    tombstone = User.objects.get(pk=person.pk)
    assert tombstone.display_name == "" and not tombstone.is_active
    assert not Employee.objects.filter(account_id=person.pk).exists()
    return job


def _cases_and_jobs() -> tuple[int, int]:
    # Other modules' committed rows may live in enterprise A too: compare counts, not emptiness.
    return MinorCase.objects.count(), ErasureJob.objects.count()


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("people.csv", text.encode("utf-8"), content_type="text/csv")


# --- a new record: a child's information is never collected ----------------------------------------

@pytest.mark.promise("M2")
def test_the_console_refuses_to_add_a_child_under_14_and_stores_nothing(in_a, manager, console_as):
    console, before = console_as(manager), _cases_and_jobs()
    thirteen = _born(14, days_later=1)  # turns 14 tomorrow
    by_birth_date = console.post("/console/organisation/employees/add/", {
        "display_name": "小明", "mobile": "13912340141", "employee_number": "KID-1", "work_status": "working",
        "date_of_birth": thirteen.isoformat()})
    by_id_number = console.post("/console/organisation/employees/add/", {
        "display_name": "小红", "mobile": "13912340142", "employee_number": "KID-2", "work_status": "working",
        "id_number": resident_id(birth=thirteen, sequence=141)})

    for response in (by_birth_date, by_id_number):
        assert response.status_code == 200 and CHILD_REFUSAL in response.content.decode()
    form = by_id_number.context["form"]
    assert CHILD_REFUSAL in form.errors["id_number"]
    assert CHILD_REFUSAL in by_birth_date.context["form"].errors["date_of_birth"]
    assert not Employee.objects.filter(employee_number__in=["KID-1", "KID-2"]).exists()
    assert not User.objects.with_mobile("13912340141").exists() and not User.objects.with_mobile("13912340142").exists()
    assert _cases_and_jobs() == before


@pytest.mark.promise("M1")
def test_the_console_refuses_to_add_someone_of_14_or_15_even_with_a_guardian(in_a, manager, console_as):
    console, before = console_as(manager), _cases_and_jobs()
    by_birth_date = console.post("/console/organisation/employees/add/", {
        "display_name": "少年", "mobile": "13912340143", "employee_number": "TEEN-1", "work_status": "working",
        "date_of_birth": _born(16, days_later=1).isoformat()})  # turns 16 tomorrow
    by_id_number = console.post("/console/organisation/employees/add/", {
        "display_name": "少年二", "mobile": "13912340144", "employee_number": "TEEN-1B", "work_status": "working",
        "id_number": resident_id(birth=_born(14), sequence=144)})  # 14 today

    for response, field in ((by_birth_date, "date_of_birth"), (by_id_number, "id_number")):
        assert response.status_code == 200 and UNDER_16_REFUSAL in response.content.decode()
        assert response.context["form"].errors[field] == [UNDER_16]
    assert not Employee.objects.filter(employee_number__in=["TEEN-1", "TEEN-1B"]).exists()
    assert not User.objects.with_mobile("13912340143").exists() and not User.objects.with_mobile("13912340144").exists()
    assert _cases_and_jobs() == before


@pytest.mark.promise("M1")
@pytest.mark.promise("M2")
def test_someone_turning_16_today_is_added_inactive_with_a_case_for_the_manager(in_a, manager, console_as,
                                                                               api_client_for):
    console = console_as(manager)
    added = console.post("/console/organisation/employees/add/", {
        "display_name": "少年", "mobile": "13912340145", "employee_number": "TEEN-1C", "work_status": "working",
        "id_number": resident_id(birth=_born(16), sequence=145)}, follow=True)

    assert added.status_code == 200
    body = added.content.decode()
    assert "a case was opened for the enterprise manager to verify" in body
    assert "their account cannot be used until their guardian&#x27;s consent is recorded" in body
    assert 'data-testid="guardian-consent-link"' in body
    employee = Employee.objects.get(employee_number="TEEN-1C")
    assert employee.date_of_birth == _born(16)  # stored, derived from the ID number
    assert employee.account.minor_until == _born(16).replace(year=_born(16).year + 18)
    case = MinorCase.objects.get(person=employee.account)
    assert (case.status, case.found_by) == (MinorCase.Status.OPEN, MinorCase.FoundBy.REAL_NAME_DATA)
    assert not ErasureJob.objects.filter(person_id=employee.account_id).exists()
    employee.account.set_password("Teen-Pass-2026!")
    employee.account.save(update_fields=["password"])
    login = api_client_for(in_a).post("/api/v1/auth/login", {"mobile": "13912340145", "password": "Teen-Pass-2026!",
                                                             "device_id": "device-teen-1"}, format="json")
    assert login.status_code == 403 and login.json()["code"] == "guardian_consent_required"


@pytest.mark.promise("M1")
@pytest.mark.promise("M2")
def test_an_import_row_of_someone_under_16_is_rejected_like_any_bad_row(in_a, manager):
    before = _cases_and_jobs()
    text = IMPORT_HEADER + (
        f"IMP-1,成年人,13912340151,{_born(30).isoformat()},\n"
        f"IMP-2,孩子,13912340152,{_born(10).isoformat()},\n"
        f"IMP-3,孩子二,13912340153,,{resident_id(birth=_born(14, days_later=1), sequence=153)}\n"
        f"IMP-3B,少年,13912340157,{_born(15).isoformat()},\n"
    )
    job = processed(import_services.start_import(actor=manager, upload=_csv(text), consent_confirmed=True))

    assert job.status == ImportJob.Status.REJECTED
    assert {(error["row"], error["column"], error["reason"]) for error in job.report} == {
        (3, "Date of birth", CHILD_REFUSAL), (4, "Resident ID number", CHILD_REFUSAL),
        (5, "Date of birth", UNDER_16)}
    assert not Employee.objects.filter(employee_number__startswith="IMP-").exists()
    assert not User.objects.with_mobile("13912340152").exists()
    assert _cases_and_jobs() == before


@pytest.mark.promise("M1")
@pytest.mark.promise("M2")
def test_an_import_of_people_aged_16_or_17_opens_a_case_for_each_and_leaves_them_inactive(in_a, manager):
    existing = make_employee(employee_number="IMP-OLD", date_of_birth=_born(30))
    text = IMPORT_HEADER + (
        f"IMP-4,少年,13912340154,{_born(18, days_later=1).isoformat()},\n"
        f"IMP-OLD,{existing.account.display_name},{existing.account.mobile},,"
        f"{resident_id(birth=_born(16), sequence=155)}\n"
        f"IMP-5,成年人,13912340156,{_born(18).isoformat()},\n"
    )
    job = processed(import_services.start_import(actor=manager, upload=_csv(text), consent_confirmed=True))

    assert job.status == ImportJob.Status.SUCCEEDED, job.report
    teen = Employee.objects.get(employee_number="IMP-4")
    adult = Employee.objects.get(employee_number="IMP-5")
    cases = MinorCase.objects.filter(person_id__in=[teen.account_id, existing.account_id, adult.account_id])
    assert {(case.person_id, case.status) for case in cases} == {
        (teen.account_id, MinorCase.Status.OPEN), (existing.account_id, MinorCase.Status.OPEN)}
    assert AuditEntry.objects.filter(object_type="erasure.minorcase", action="create",
                                     object_id__in=[str(case.pk) for case in cases]).count() == 2
    # M1: the minors' accounts wait for a guardian's consent; the one who turned 18 today does not.
    accounts = {pk: User.objects.get(pk=pk) for pk in (teen.account_id, existing.account_id, adult.account_id)}
    assert accounts[teen.account_id].awaits_guardian_consent and accounts[existing.account_id].awaits_guardian_consent
    assert accounts[adult.account_id].minor_until is None and not accounts[adult.account_id].awaits_guardian_consent
    assert AuditEntry.objects.filter(object_type="accounts.user", object_id=str(existing.account_id),
                                     changed_fields__contains=["minor_until"]).exists()


# --- an edit of someone recorded: the values are not stored and the person is erased at once -------

@pytest.mark.promise("M2")
def test_a_console_edit_revealing_a_child_erases_the_person_at_once(in_a, manager, console_as):
    employee = make_employee(name="王小", employee_number="EDIT-1", date_of_birth=_born(25))
    account_services.issue_device_token(person=employee.account, device_id="device-minor-1", device_name="phone")
    console = console_as(manager)

    response = console.post(f"/console/organisation/employees/{employee.pk}/edit/", {
        "display_name": "王小", "employee_number": "EDIT-1", "work_status": "working",
        "date_of_birth": _born(12).isoformat(), "title": "Intern"}, follow=True)

    body = response.content.decode()
    assert response.redirect_chain[-1][0] == "/console/organisation/employees/"
    assert "This person is under 14: the changes were not stored" in body
    stored = Employee.objects.get(pk=employee.pk)
    assert stored.date_of_birth == _born(25) and stored.title == ""  # nothing of the edit was stored
    account = User.objects.get(pk=employee.account_id)
    assert not account.is_active  # disabled at once, before the worker runs
    assert not DeviceToken.objects.filter(user=account, revoked_at__isnull=True).exists()
    case = MinorCase.objects.get(person=account)
    assert (case.status, case.found_by, case.decided_by_system) == (
        MinorCase.Status.CONFIRMED, MinorCase.FoundBy.REAL_NAME_DATA, MINOR_PROTECTION.name)

    job = _run_erasure_of(account)
    assert MinorCase.objects.get(pk=case.pk).erasure_job_id == job.pk  # the proof stays, about a tombstone


@pytest.mark.promise("M2")
def test_an_api_edit_revealing_a_child_is_refused_naming_the_field_and_erases_the_person(in_a, manager, api_as):
    employee = make_employee(employee_number="API-1")
    response = api_as(manager).patch(f"/api/v1/admin/employees/{employee.pk}",
                                     {"id_number": resident_id(birth=_born(13), sequence=161), "title": "Boss"},
                                     format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "child_information_deleted" and body["fields"] == {"id_number": [CHILD_REFUSAL]}
    assert Employee.objects.get(pk=employee.pk).id_number == ""
    assert not User.objects.get(pk=employee.account_id).is_active
    _run_erasure_of(employee.account)


@pytest.mark.promise("M2")
def test_a_person_writing_a_birth_date_under_14_in_their_own_profile_is_erased(in_a, api_as):
    me = make_employee(employee_number="SELF-1")
    api = api_as(me.account)

    response = api.patch("/api/v1/me/profile", {"date_of_birth": _born(9).isoformat()}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "child_information_deleted"
    assert response.json()["fields"] == {"date_of_birth": [CHILD_REFUSAL]}
    assert api.get("/api/v1/me/profile").status_code == 401  # signed out at once
    _run_erasure_of(me.account)


@pytest.mark.promise("M2")
def test_an_import_correcting_someone_into_a_child_rejects_the_row_and_erases_them(in_a, manager):
    employee = make_employee(employee_number="IMP-9", date_of_birth=_born(40))
    text = IMPORT_HEADER + f"IMP-9,{employee.account.display_name},{employee.account.mobile},{_born(11).isoformat()},\n"

    job = processed(import_services.start_import(actor=manager, upload=_csv(text), consent_confirmed=True))

    assert job.status == ImportJob.Status.REJECTED
    reasons = {(error["column"], error["reason"]) for error in job.report}
    assert ("Date of birth", CHILD_REFUSAL) in reasons
    assert any(column == "Employee number" and "being deleted" in reason for column, reason in reasons)
    assert Employee.objects.get(pk=employee.pk).date_of_birth == _born(40)
    assert not User.objects.get(pk=employee.account_id).is_active
    _run_erasure_of(employee.account)


def test_the_managers_own_record_revealing_a_child_is_only_refused(in_a, manager):
    from orgdata.services import employees as employee_services

    record = Employee.objects.create(account=manager, person_key_id=manager.person_key_id, employee_number="MGR-1")
    with pytest.raises(Exception) as refused:
        employee_services.update_employee(actor=manager, employee=record, changes={"date_of_birth": _born(10)})
    assert refused.value.message_dict == {"date_of_birth": [CHILD_REFUSAL]}
    assert User.objects.get(pk=manager.pk).is_active and not ErasureJob.objects.filter(person_id=manager.pk).exists()
    # M1: nor is it disabled for 15, nor made a minor's (inactive until a guardian consents) for 17.
    for age, message in ((15, UNDER_16), (17, "The enterprise manager must be 18 or over: hand the manager role "
                                              "over first.")):
        with pytest.raises(Exception) as refused:
            employee_services.update_employee(actor=manager, employee=record, changes={"date_of_birth": _born(age)})
        assert refused.value.message_dict == {"date_of_birth": [message]}
    manager = User.objects.get(pk=manager.pk)
    assert manager.is_active and not manager.awaits_guardian_consent
    assert not MinorCase.objects.filter(person=manager).exists()


# --- an edit stating 14 or 15: not stored, the account disabled at once, a case for the manager -------

UNDER_16_EDIT = ("This person is under 16, the legal working age: the changes were not stored, their account was "
                 "disabled and the enterprise manager verifies the case.")


@pytest.mark.promise("M1")
def test_a_console_edit_revealing_15_disables_the_account_and_a_dismissal_enables_it_again(in_a, manager,
                                                                                          console_as):
    employee = make_employee(name="赵六", employee_number="EDIT-15", date_of_birth=_born(25))
    account_services.issue_device_token(person=employee.account, device_id="device-minor-15", device_name="phone")
    console = console_as(manager)

    response = console.post(f"/console/organisation/employees/{employee.pk}/edit/", {
        "display_name": "赵六", "employee_number": "EDIT-15", "work_status": "working",
        "date_of_birth": _born(16, days_later=1).isoformat(), "title": "Intern"}, follow=True)

    assert response.redirect_chain[-1][0] == f"/console/organisation/employees/{employee.pk}/"
    assert UNDER_16_EDIT.replace("'", "&#x27;") in response.content.decode()
    stored = Employee.objects.get(pk=employee.pk)
    assert stored.date_of_birth == _born(25) and stored.title == ""  # nothing of the edit was stored
    account = User.objects.get(pk=employee.account_id)
    assert not account.is_active and not DeviceToken.objects.filter(user=account, revoked_at__isnull=True).exists()
    case = MinorCase.objects.get(person=account)
    assert (case.status, case.found_by, case.account_disabled) == (
        MinorCase.Status.OPEN, MinorCase.FoundBy.REAL_NAME_DATA, True)
    assert not ErasureJob.objects.filter(person_id=account.pk).exists()

    dismissed = console.post(f"/console/organisation/minors/{case.pk}/",
                             {"decision": "dismissed", "note": "typo in the year"}, follow=True)

    assert "The case was dismissed; nothing was deleted." in dismissed.content.decode()
    assert User.objects.get(pk=account.pk).is_active  # the data was wrong: the account works again
    assert MinorCase.objects.get(pk=case.pk).status == MinorCase.Status.DISMISSED


@pytest.mark.promise("M1")
def test_an_api_profile_or_import_edit_revealing_14_or_15_disables_the_account_and_the_manager_confirms(
        in_a, manager, api_as, console_as):
    by_admin = make_employee(employee_number="API-15")
    response = api_as(manager).patch(f"/api/v1/admin/employees/{by_admin.pk}",
                                     {"id_number": resident_id(birth=_born(14), sequence=165), "title": "Boss"},
                                     format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "under_working_age" and response.json()["fields"] == {"id_number": [UNDER_16]}
    assert Employee.objects.get(pk=by_admin.pk).id_number == "" and not User.objects.get(pk=by_admin.account_id).is_active

    me = make_employee(employee_number="SELF-15")
    api = api_as(me.account)
    own = api.patch("/api/v1/me/profile", {"date_of_birth": _born(15).isoformat()}, format="json")
    assert own.status_code == 400 and own.json()["code"] == "under_working_age"
    assert api.get("/api/v1/me/profile").status_code == 401  # signed out at once

    imported = make_employee(employee_number="IMP-15", date_of_birth=_born(40))
    text = IMPORT_HEADER + f"IMP-15,{imported.account.display_name},{imported.account.mobile},{_born(15).isoformat()},\n"
    job = processed(import_services.start_import(actor=manager, upload=_csv(text), consent_confirmed=True))
    assert job.status == ImportJob.Status.REJECTED
    reasons = {(error["column"], error["reason"]) for error in job.report}
    assert ("Date of birth", UNDER_16) in reasons
    assert any(column == "Employee number" and "the row was not imported" in reason for column, reason in reasons)
    assert Employee.objects.get(pk=imported.pk).date_of_birth == _born(40)

    cases = {case.person_id: case for case in MinorCase.objects.filter(
        person_id__in=[by_admin.account_id, me.account_id, imported.account_id])}
    assert set(cases) == {by_admin.account_id, me.account_id, imported.account_id}
    assert all(case.status == MinorCase.Status.OPEN and case.account_disabled for case in cases.values())
    assert not User.objects.get(pk=imported.account_id).is_active
    confirmed = console_as(manager).post(f"/console/organisation/minors/{cases[by_admin.account_id].pk}/",
                                         {"decision": "confirmed"})
    assert confirmed.status_code == 302
    _run_erasure_of(by_admin.account)


# --- 14 to 17: a case to verify; the manager confirms (erased at once) or dismisses ------------------

@pytest.mark.promise("M2")
def test_the_manager_confirms_a_minor_and_their_information_is_erased(in_a, manager, console_as, api_as):
    employee = make_employee(name="李少", employee_number="TEEN-2", date_of_birth=_born(30))
    edited = api_as(manager).patch(f"/api/v1/admin/employees/{employee.pk}",
                                   {"date_of_birth": _born(16).isoformat()}, format="json")
    assert edited.status_code == 200 and Employee.objects.get(pk=employee.pk).date_of_birth == _born(16)
    case = MinorCase.objects.get(person=employee.account, status=MinorCase.Status.OPEN)

    console = console_as(manager)
    page = console.get(f"/console/organisation/employees/{employee.pk}/").content.decode()
    assert 'data-testid="guardian-report-link"' in page and "/console/organisation/minors/" in page
    listed = console.get("/console/organisation/minors/").content.decode()
    assert f"/console/organisation/minors/{case.pk}/" in listed and "李少" in listed and "TEEN-2" in listed

    decided = console.post(f"/console/organisation/minors/{case.pk}/", {"decision": "confirmed",
                                                                         "note": "birth certificate seen"})

    job = ErasureJob.objects.get(person_id=employee.account_id)
    assert decided.status_code == 302 and decided["Location"] == f"/console/organisation/erasures/{job.pk}/"
    assert job.requested_by == manager and "M2" in job.reason
    _run_erasure_of(employee.account)
    case.refresh_from_db()
    # The proof the promise was kept: confirmed, by whom and when, about a tombstone; the note erased.
    assert (case.status, case.decided_by, case.erasure_job_id, case.note) == (
        MinorCase.Status.CONFIRMED, manager, job.pk, "")
    decision = AuditEntry.objects.filter(object_type="erasure.minorcase", object_id=str(case.pk),
                                         action="update", actor=f"user:{manager.pk}").first()
    assert decision is not None and "status" in decision.changed_fields and "decided_by" in decision.changed_fields
    assert f"/console/organisation/minors/{case.pk}/" not in console.get("/console/organisation/minors/").content.decode()


@pytest.mark.promise("M2")
def test_the_manager_dismisses_a_case_whose_data_was_wrong_with_a_note_and_nothing_is_erased(in_a, manager,
                                                                                            console_as):
    employee = make_employee(name="张成", employee_number="TEEN-3", date_of_birth=_born(17))
    case = MinorCase.objects.get(person=employee.account)
    console = console_as(manager)

    without_note = console.post(f"/console/organisation/minors/{case.pk}/", {"decision": "dismissed"})
    assert without_note.status_code == 400 and "Say why this person is not a minor" in without_note.content.decode()
    assert MinorCase.objects.get(pk=case.pk).status == MinorCase.Status.OPEN

    dismissed = console.post(f"/console/organisation/minors/{case.pk}/",
                             {"decision": "dismissed", "note": "typo: born 1990"}, follow=True)

    assert "The case was dismissed; nothing was deleted." in dismissed.content.decode()
    case.refresh_from_db()
    assert (case.status, case.decided_by, case.note) == (MinorCase.Status.DISMISSED, manager, "typo: born 1990")
    assert not ErasureJob.objects.filter(person_id=employee.account_id).exists()
    assert User.objects.get(pk=employee.account_id).is_active
    assert console.get(f"/console/organisation/minors/{case.pk}/").status_code == 404  # decided once
    assert AuditEntry.objects.filter(object_type="erasure.minorcase", object_id=str(case.pk), action="update",
                                     actor=f"user:{manager.pk}").exists()


@pytest.mark.promise("M1")
@pytest.mark.promise("M2")
def test_the_manager_closes_a_17_year_olds_case_by_recording_the_guardians_consent(in_a, manager, console_as,
                                                                                  api_as):
    from consent.models import GuardianConsent

    employee = make_employee(name="孙七", employee_number="TEEN-4", date_of_birth=_born(18, days_later=1))
    case = MinorCase.objects.get(person=employee.account)
    console = console_as(manager)

    incomplete = console.post(f"/console/organisation/minors/{case.pk}/", {"decision": "guardian_consented"})
    assert incomplete.status_code == 400 and "This field is required." in incomplete.content.decode()
    assert MinorCase.objects.get(pk=case.pk).status == MinorCase.Status.OPEN

    decided = console.post(f"/console/organisation/minors/{case.pk}/", {
        "decision": "guardian_consented", "guardian_name": "孙大", "relationship": "parent",
        "contact": "13800001111", "evidence": "household register and signed consent form",
        "purposes": ["device.location"]}, follow=True)

    assert "The guardian&#x27;s consent is recorded: the account can be used." in decided.content.decode()
    case.refresh_from_db()
    assert (case.status, case.decided_by) == (MinorCase.Status.GUARDIAN_CONSENTED, manager)
    consent = GuardianConsent.objects.get(person=employee.account, withdrawn_at__isnull=True)
    assert (consent.guardian_name, consent.verified_by, consent.purposes) == ("孙大", manager, ["device.location"])
    assert api_as(employee.account).get("/api/v1/me").status_code == 200  # the account can be used
    assert not ErasureJob.objects.filter(person_id=employee.account_id).exists()


# --- a guardian's report ----------------------------------------------------------------------------

@pytest.mark.promise("M2")
def test_an_administrator_records_a_guardians_report_and_the_manager_confirms_it(in_a, manager, console_as):
    tree = make_tree()
    employee = make_employee(department=tree["backend"], name="周青", employee_number="GRD-1",
                             date_of_birth=_born(20))
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员")
    console = console_as(deputy)
    assert console.get(f"/console/organisation/employees/{employee.pk}/guardian-report/").status_code == 200

    recorded = console.post(f"/console/organisation/employees/{employee.pk}/guardian-report/",
                            {"note": "father phoned on 3 May"}, follow=True)

    assert "The guardian&#x27;s report was recorded" in recorded.content.decode()
    case = MinorCase.objects.get(person=employee.account)
    assert (case.status, case.found_by, case.reported_by, case.note) == (
        MinorCase.Status.OPEN, MinorCase.FoundBy.GUARDIAN_REPORT, deputy, "father phoned on 3 May")
    again = console.post(f"/console/organisation/employees/{employee.pk}/guardian-report/", {"note": ""})
    assert again.status_code == 400 and "already open" in again.content.decode()
    assert console.get("/console/organisation/minors/").status_code == 403  # the manager verifies

    manager_console = console_as(manager)
    shown = manager_console.get(f"/console/organisation/minors/{case.pk}/").content.decode()
    assert "A guardian&#x27;s report" in shown and "father phoned on 3 May" in shown
    assert manager_console.post(f"/console/organisation/minors/{case.pk}/",
                                {"decision": "confirmed"}).status_code == 302
    _run_erasure_of(employee.account)
    assert MinorCase.objects.get(pk=case.pk).note == ""


def test_a_guardians_report_is_refused_outside_the_administrators_reach(in_a, manager, console_as):
    tree = make_tree()
    outside = make_employee(department=tree["east"], employee_number="GRD-2")
    deputy = make_sub_administrator(departments=[tree["rnd"]], manager=manager, name="副管理员二")
    assert console_as(deputy).post(f"/console/organisation/employees/{outside.pk}/guardian-report/",
                                   {"note": "x"}).status_code == 404
    plain = make_employee(employee_number="GRD-3")
    assert console_as(plain.account).post(f"/console/organisation/employees/{outside.pk}/guardian-report/",
                                          {"note": "x"}).status_code == 403
    assert not MinorCase.objects.filter(person__in=[outside.account, plain.account]).exists()
