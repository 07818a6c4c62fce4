"""Issue 13: an employee's rights requests through the mobile API, verified, due on the official
calendar; the enterprise's queue in the console, where requests are authorised, answered or refused
for a recorded reason; the person told of every change."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django_tenants.utils import schema_context

from accounts.models import User
from erasure import tasks as erasure_tasks
from erasure.models import ErasureJob
from orgdata.models import Employee
from rights import deadlines, tasks
from rights.models import InboxMessage, RightsRequest
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.rights.requesting import employee_signed_in as _employee
from tests.rights.requesting import inbox_of as _inbox
from tests.rights.requesting import submit as _submit

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.promise("R8")
def test_a_request_is_verified_first_and_a_wrong_password_creates_nothing(enterprises):
    person = _employee(enterprises, name="验证")

    refused = _submit(person, "copy", password="not-my-password")
    no_code = _submit(person, "copy", code="000000")

    assert refused.status_code == 400 and "password" in refused.json()["fields"]
    assert no_code.status_code == 400 and "code" in refused.json()["fields"] | no_code.json()["fields"]
    with schema_context(enterprises.a.schema_name):
        assert not RightsRequest.objects.filter(person=person.user).exists()


@pytest.mark.promise("R6")
@pytest.mark.promise("R8")
def test_the_employee_follows_their_request_and_is_told_of_every_change(enterprises, console_as, manager,
                                                                        django_capture_on_commit_callbacks):
    person = _employee(enterprises, name="查询", email="cha.xun@example.com")

    created = _submit(person, "automated_decision", {"action": "explain", "decision": "shift plan 2026-11"})

    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "submitted" and body["history"][0]["event"] == "submitted"
    assert date.fromisoformat(body["due_on"]) == deadlines.due_dates("automated_decision", date.today())[0]
    console = console_as(manager)
    queue = console.get("/console/rights/").content.decode()
    assert "查询" in queue and f">{body['id']}<" in queue
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes once the answer commits
        answered = console.post(f"/console/rights/{body['id']}/authorise/", {"answer": "The rota is assigned by seniority."})
    assert answered.status_code == 302

    shown = person.client.get(f"/api/v1/rights/requests/{body['id']}").json()
    assert shown["status"] == "done" and shown["answer"] == "The rota is assigned by seniority."
    assert [step["event"] for step in shown["history"]] == ["submitted", "answered"]
    assert any("seniority" in message for message in _inbox(person))
    assert any("seniority" in sent.body for sent in mail.outbox) and mail.outbox[-1].to == ["cha.xun@example.com"]


@pytest.mark.promise("R8")
@pytest.mark.promise("R9")
def test_a_refusal_needs_a_listed_reason_or_legal_exception_and_an_explanation(enterprises, console_as, manager):
    person = _employee(enterprises, name="拒绝")
    request_id = _submit(person, "correction", {"field": "display_name", "correct_value": "拒绝者"}).json()["id"]
    console = console_as(manager)

    unexplained = console.post(f"/console/rights/{request_id}/refuse/", {"reason": "baseless", "explanation": ""})
    neither = console.post(f"/console/rights/{request_id}/refuse/", {"explanation": "No."})

    assert unexplained.status_code == 400 and neither.status_code == 400
    assert "Choose either one of the listed reasons or a legal exception." in neither.content.decode()
    refused = console.post(f"/console/rights/{request_id}/refuse/",
                           {"legal_exception": "criminal_investigation", "explanation": "Held for the police."})
    assert refused.status_code == 302
    shown = person.client.get(f"/api/v1/rights/requests/{request_id}").json()
    assert (shown["status"], shown["legal_exception"], shown["refusal_explanation"]) == (
        "refused", "criminal_investigation", "Held for the police.")
    assert any("Held for the police." in message for message in _inbox(person))


@pytest.mark.promise("R8")
def test_a_repeated_request_is_verified_again_and_flagged(enterprises, console_as, manager):
    person = _employee(enterprises, name="重复")
    first = _submit(person, "complaint", {"text": "The canteen camera."})
    assert _submit(person, "complaint", {"text": "Again."}, password="wrong").status_code == 400
    second = _submit(person, "complaint", {"text": "Again, the canteen camera."})

    assert first.json()["repeated"] is False and second.json()["repeated"] is True
    assert "repeated" in console_as(manager).get("/console/rights/").content.decode()


@pytest.mark.promise("R10")
def test_a_complaint_is_due_within_15_working_days(enterprises):
    person = _employee(enterprises, name="投诉")
    # Submitted on the eve of National Day 2026: 15 official working days, the make-up Saturday
    # 10 October among them, end on 27 October.
    with time_machine.travel(datetime(2026, 9, 30, 18, 0, tzinfo=SHANGHAI), tick=True):
        body = _submit(person, "complaint", {"text": "Nobody answered my deletion request."}).json()
    assert body["due_on"] == "2026-10-27"


@pytest.mark.promise("R3")
def test_a_deletion_request_is_authorised_by_an_administrator_then_the_engine_erases(enterprises, console_as, manager):
    person = _employee(enterprises, name="删除我")
    assert _submit(person, "deletion", {"grounds": "bogus"}).status_code == 400
    request_id = _submit(person, "deletion", {"grounds": "consent_withdrawn"}).json()["id"]

    page = console_as(manager).get(f"/console/rights/{request_id}/").content.decode()
    assert "Authorise the deletion" in page
    assert console_as(manager).post(f"/console/rights/{request_id}/authorise/", {"answer": ""}).status_code == 302

    with schema_context(enterprises.a.schema_name):
        request = RightsRequest.objects.get(pk=request_id)
        job = ErasureJob.objects.get(pk=request.erasure_job_id)
        assert erasure_tasks.run_erasure_job.apply(args=[job.pk]).get() == ErasureJob.Status.DONE
        assert tasks.watch_deadlines.apply().get()["finished"] == 1
        request.refresh_from_db()
        assert request.status == RightsRequest.Status.DONE
        assert not Employee.objects.filter(account_id=person.user.pk).exists()
        assert User.objects.get(pk=person.user.pk).display_name == ""


@pytest.mark.promise("R5")
def test_account_cancellation_says_it_is_irreversible_then_closes_the_account_at_once(enterprises):
    person = _employee(enterprises, name="注销")

    unconfirmed = _submit(person, "account_cancellation")

    assert unconfirmed.status_code == 400
    assert "cannot be undone" in unconfirmed.json()["fields"]["details.irreversible_acknowledged"][0]
    cancelled = _submit(person, "account_cancellation", {"irreversible_acknowledged": True})
    assert cancelled.status_code == 201 and cancelled.json()["status"] == "in_progress"
    # The account is closed from the next request on: the same token no longer works.
    assert person.client.get("/api/v1/rights/requests").status_code == 401
    with schema_context(enterprises.a.schema_name):
        request = RightsRequest.objects.get(pk=cancelled.json()["id"])
        assert erasure_tasks.run_erasure_job.apply(args=[request.erasure_job_id]).get() == ErasureJob.Status.DONE


@pytest.mark.promise("R5")
def test_a_cancellation_across_national_day_counts_official_working_days_and_the_make_up_day(enterprises):
    person = _employee(enterprises, name="国庆")
    # Submitted on the eve of National Day 2026 (1–7 October off, Saturday 10 October a make-up
    # working day): the account is due on the first working day after the holiday, the erasure
    # 7 working days later, counting the Saturday.
    with time_machine.travel(datetime(2026, 9, 30, 18, 0, tzinfo=SHANGHAI), tick=True):
        body = _submit(person, "account_cancellation", {"irreversible_acknowledged": True}).json()

    assert (body["due_on"], body["erase_by"]) == ("2026-10-08", "2026-10-15")
    with schema_context(enterprises.a.schema_name):
        request = RightsRequest.objects.get(pk=body["id"])
        assert erasure_tasks.run_erasure_job.apply(args=[request.erasure_job_id]).get() == ErasureJob.Status.DONE
        with time_machine.travel(datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI), tick=True):
            assert tasks.watch_deadlines.apply().get()["finished"] == 1
        request.refresh_from_db()
        assert request.status == RightsRequest.Status.DONE
        assert [event.event for event in request.events.all()] == ["submitted", "account_cancelled", "erased"]


@pytest.mark.promise("R7")
def test_a_relatives_request_shows_the_deceased_persons_own_arrangement(enterprises, console_as, manager):
    person = _employee(enterprises, name="安排", employee_number="KIN-1")
    arranged = person.client.put("/api/v1/rights/arrangement",
                                 {"instructions": "Delete everything; my sister may see my payslips.",
                                  "relative_contact": "sister"}, format="json")
    assert arranged.status_code == 200
    with schema_context(enterprises.a.schema_name):
        employee = Employee.objects.get(account=person.user)
    console = console_as(manager)

    form = console.get(f"/console/rights/next-of-kin/{employee.pk}/").content.decode()
    assert "my sister may see my payslips" in form
    recorded = console.post(f"/console/rights/next-of-kin/{employee.pk}/", {
        "action": "copy", "relative_name": "Li Mei", "relationship": "sister", "contact": "13900001111",
        "proof": "death certificate and household register seen"})

    assert recorded.status_code == 302
    page = console.get(recorded["Location"]).content.decode()
    assert 'data-testid="arrangement"' in page and "Li Mei" in page


def test_the_person_withdraws_an_open_request_and_cannot_read_anyone_elses(enterprises):
    person, other = _employee(enterprises, name="撤回"), _employee(enterprises, name="别人")
    request_id = _submit(person, "complaint", {"text": "Never mind."}).json()["id"]

    assert other.client.get(f"/api/v1/rights/requests/{request_id}").status_code == 404
    assert other.client.post(f"/api/v1/rights/requests/{request_id}/withdraw").status_code == 404
    assert person.client.post(f"/api/v1/rights/requests/{request_id}/withdraw").json()["status"] == "withdrawn"


def test_requests_near_their_due_date_are_escalated_to_the_manager_once(enterprises, manager):
    person = _employee(enterprises, name="逾期")
    request_id = _submit(person, "complaint", {"text": "Late."}).json()["id"]
    with schema_context(enterprises.a.schema_name):
        RightsRequest.objects.filter(pk=request_id).update(due_on=date(2026, 1, 5))
        assert tasks.watch_deadlines.apply().get()["escalated"] == 1
        assert tasks.watch_deadlines.apply().get()["escalated"] == 0
        assert InboxMessage.objects.filter(person=manager, request_id=request_id).exists()


@pytest.mark.promise("R2")
def test_a_copy_request_is_built_in_the_background_and_downloaded_through_a_short_lived_link(enterprises):
    person = _employee(enterprises, name="副本")
    body = _submit(person, "copy").json()
    assert body["status"] == "submitted" and body["has_result"] is False

    with schema_context(enterprises.a.schema_name):
        assert tasks.build_copy.apply(args=[body["id"]]).get() == "done"

    shown = person.client.get(f"/api/v1/rights/requests/{body['id']}").json()
    assert shown["status"] == "done" and shown["has_result"] is True
    assert any("ready to download" in message for message in _inbox(person))
    link = person.client.post(f"/api/v1/rights/requests/{body['id']}/download-link").json()
    download = person.client.get(link["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"


@pytest.mark.promise("R3")
def test_an_authorised_deletion_cannot_be_decided_again_nor_withdrawn_while_it_runs(enterprises, console_as, manager):
    person = _employee(enterprises, name="进行中")
    request_id = _submit(person, "deletion", {"grounds": "purpose_achieved"}).json()["id"]
    console = console_as(manager)
    assert console.post(f"/console/rights/{request_id}/authorise/", {"answer": ""}).status_code == 302

    page = console.get(f"/console/rights/{request_id}/").content.decode()
    again = console.post(f"/console/rights/{request_id}/authorise/", {"answer": ""})
    refused = console.post(f"/console/rights/{request_id}/refuse/", {"reason": "baseless", "explanation": "No."})

    assert 'data-testid="authorise-form"' not in page and 'data-testid="refuse-form"' not in page
    assert again.status_code == 400 and refused.status_code == 400
    with schema_context(enterprises.a.schema_name):
        assert ErasureJob.objects.filter(person_id=person.user.pk).count() == 1


def test_a_copy_request_is_not_closed_by_hand(enterprises, console_as, manager):
    person = _employee(enterprises, name="不能手动")
    request_id = _submit(person, "copy").json()["id"]
    answered = console_as(manager).post(f"/console/rights/{request_id}/authorise/", {"answer": "Sent by post."})
    assert answered.status_code == 400
    assert "carried out by the platform itself" in answered.content.decode()
