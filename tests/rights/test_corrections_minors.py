"""Issue 13 review, M1/M2 on the correction path: "age is known from the ID number's birth date on
every path that sets it: console form, admin API, profile correction, bulk import". A correction
asking for an ID number that states an age under 16 does exactly what the profile screen does
(tests/erasure/test_minors.py): nothing of it is stored, a child under 14 is disabled and erased at
once, someone of 14 or 15 disabled with a case for the manager. The request is closed with the rule as
its recorded reason and the person is told."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from erasure import tasks as erasure_tasks
from erasure.models import ErasureJob, MinorCase
from orgdata.models import Employee
from rights.models import InboxMessage, RightsRequest
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.orgdata.factories import resident_id
from tests.rights.requesting import employee_signed_in, submit

CHILD_REFUSAL = "This person is under 14: information of children under 14 cannot be collected."
UNDER_16 = "This person is under 16, the legal working age: no account, even with a guardian's consent."


def _born(years: int) -> date:
    """The birth date of someone who turned `years` old a week ago."""
    today = timezone.localdate() - timedelta(days=7)
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return date(today.year - years, 3, 1)


def _closed_request_of(user) -> RightsRequest:
    request = RightsRequest.objects.get(person=user, kind=RightsRequest.Kind.CORRECTION)
    assert request.status == RightsRequest.Status.CLOSED_UNDER_AGE and request.correct_value == ""
    assert [event.event for event in request.events.all()] == ["submitted", "closed_under_age"]
    return request


@pytest.mark.promise("M2")
@pytest.mark.promise("R1")
def test_a_correction_to_a_13_year_olds_id_number_erases_the_person_and_closes_the_request(
        enterprises, django_capture_on_commit_callbacks):
    person = employee_signed_in(enterprises, name="十三岁", email="shisan@example.com",
                                id_number=resident_id(birth=date(1990, 3, 3), sequence=21))
    child_id = resident_id(birth=_born(13), sequence=131)

    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes once the closing commits
        response = submit(person, "correction", {"field": "id_number", "correct_value": child_id})

    assert response.status_code == 400 and response.json()["code"] == "child_information_deleted"
    assert response.json()["fields"] == {"id_number": [CHILD_REFUSAL]}
    assert person.client.get("/api/v1/rights/requests").status_code == 401  # signed out at once
    with schema_context(enterprises.a.schema_name):
        request = _closed_request_of(person.user)
        assert "under 14" in request.answer and child_id not in request.answer
        told = InboxMessage.objects.filter(person=person.user, request=request).values_list("body", flat=True)
        assert any("under 14" in body for body in told)
        assert any("under 14" in message.body for message in mail.outbox if "shisan@example.com" in message.to)
        assert not User.objects.get(pk=person.user.pk).is_active
        assert Employee.objects.get(account=person.user).id_number != child_id  # nothing of it stored
        assert MinorCase.objects.get(person=person.user).status == MinorCase.Status.CONFIRMED
        job = ErasureJob.objects.get(person_id=person.user.pk)
        assert "M2" in job.reason
        assert erasure_tasks.run_erasure_job.apply(args=[job.pk]).get() == ErasureJob.Status.DONE
        assert not Employee.objects.filter(account_id=person.user.pk).exists()
        assert RightsRequest.objects.get(pk=request.pk).status == RightsRequest.Status.CLOSED_UNDER_AGE


@pytest.mark.promise("M1")
@pytest.mark.promise("R1")
def test_a_correction_to_a_15_year_olds_id_number_disables_the_account_with_a_case_for_the_manager(enterprises):
    person = employee_signed_in(enterprises, name="十五岁", id_number=resident_id(birth=date(1991, 4, 4), sequence=22))
    minor_id = resident_id(birth=_born(15), sequence=151)

    response = submit(person, "correction", {"field": "id_number", "correct_value": minor_id})

    assert response.status_code == 400 and response.json()["code"] == "under_working_age"
    assert response.json()["fields"] == {"id_number": [UNDER_16]}
    assert person.client.get("/api/v1/rights/requests").status_code == 401
    with schema_context(enterprises.a.schema_name):
        request = _closed_request_of(person.user)
        assert "under 16" in request.answer
        assert InboxMessage.objects.filter(person=person.user, request=request, body__contains="under 16").exists()
        assert not User.objects.get(pk=person.user.pk).is_active
        assert Employee.objects.get(account=person.user).id_number != minor_id
        case = MinorCase.objects.get(person=person.user)
        assert case.status == MinorCase.Status.OPEN and case.account_disabled
        assert not ErasureJob.objects.filter(person_id=person.user.pk).exists()


@pytest.mark.promise("M1")
def test_authorising_a_correction_recorded_before_the_rule_keeps_the_protection(enterprises, console_as, manager):
    person = employee_signed_in(enterprises, name="旧申请", id_number=resident_id(birth=date(1992, 5, 5), sequence=23))
    minor_id = resident_id(birth=_born(15), sequence=152)
    with schema_context(enterprises.a.schema_name):
        # Recorded before submissions checked the age (the value held as any correction's).
        request = RightsRequest.objects.create(
            person=person.user, person_key_id=person.user.person_key_id, kind=RightsRequest.Kind.CORRECTION,
            details={"field": "id_number", "note": ""}, correct_value=minor_id, due_on=timezone.localdate())

    page = console_as(manager).post(f"/console/rights/{request.pk}/authorise/", {"answer": ""})

    assert page.status_code == 400
    assert "under 16, the legal working age" in page.content.decode()
    with schema_context(enterprises.a.schema_name):
        request.refresh_from_db()
        assert request.status == RightsRequest.Status.CLOSED_UNDER_AGE and request.decided_by_id == manager.pk
        assert [event.event for event in request.events.all()] == ["closed_under_age"]
        assert InboxMessage.objects.filter(person=person.user, request=request, body__contains="under 16").exists()
        assert not User.objects.get(pk=person.user.pk).is_active
        assert Employee.objects.get(account=person.user).id_number != minor_id
        assert MinorCase.objects.get(person=person.user).account_disabled
