"""Issue 13, R7: a close relative's request about a deceased person, recorded by an administrator in
the console: nothing is done before the death is recorded and the proof verified; the deceased's own
arrangement is shown and honoured; a copy is built for the administrator to hand over, a correction
says what was corrected, a deletion is confirmed by typing; the relative is told through the contact
they gave, never in the deceased's inbox. And what the erasure engine's announcement does here:
the erased person's open requests are closed (with why), and a person erased at their own request
is e-mailed the certificate with the status of every recipient notice (R3, R5)."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from accounts.models import SmsOutboxMessage
from audit.models import AuditEntry
from consent.models import LegalBasis
from consent.services import sharing
from erasure import tasks as erasure_tasks
from erasure.models import ErasureJob
from orgdata.models import Employee
from rights import tasks
from rights.models import InboxMessage, RequestEvent, RightsRequest
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.orgdata.factories import TEST_SETUP
from tests.rights.requesting import employee_signed_in as _employee
from tests.rights.requesting import submit as _submit

DIED_ON = "2025-03-01"


def _employee_of(enterprises, person) -> Employee:
    with schema_context(enterprises.a.schema_name):
        return Employee.objects.get(account=person.user)


def _record(console, employee, *, action, contact="13900001111"):
    recorded = console.post(f"/console/rights/next-of-kin/{employee.pk}/", {
        "action": action, "relative_name": "Li Mei", "relationship": "daughter", "contact": contact,
        "proof": "death certificate and household register"})
    assert recorded.status_code == 302, recorded.content.decode()[:2000]
    return int(recorded["Location"].rstrip("/").rsplit("/", 1)[1])


def _verify(console, request_id, *, died_on=DIED_ON):
    return console.post(f"/console/rights/{request_id}/verify-proof/",
                        {"date_of_death": died_on, "proof": "death certificate No. 2025-77 seen, original"})


def _request(enterprises, request_id) -> RightsRequest:
    with schema_context(enterprises.a.schema_name):
        return RightsRequest.objects.get(pk=request_id)


def _events(enterprises, request_id) -> list[str]:
    with schema_context(enterprises.a.schema_name):
        return list(RequestEvent.objects.filter(request_id=request_id).values_list("event", flat=True))


def _zip(response) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


@pytest.mark.promise("R7")
@pytest.mark.promise("R2")
def test_a_relatives_copy_waits_for_the_proof_honours_the_arrangement_and_goes_to_the_administrator(
        enterprises, console_as, manager, django_capture_on_commit_callbacks):
    person = _employee(enterprises, name="故人甲", email="gu.ren.jia@example.com", employee_number="KIN-COPY")
    arranged = person.client.put("/api/v1/rights/arrangement", {
        "instructions": "Nothing of mine to my family.", "nothing_disclosed": True}, format="json")
    assert arranged.status_code == 200 and arranged.json()["nothing_disclosed"] is True
    console = console_as(manager)
    employee = _employee_of(enterprises, person)
    form = console.get(f"/console/rights/next-of-kin/{employee.pk}/").content.decode()
    assert 'data-testid="nothing-disclosed"' in form
    with django_capture_on_commit_callbacks(execute=True):  # the relative's e-mail goes once it commits
        request_id = _record(console, employee, action="copy", contact=" Li.Mei@EXAMPLE.com ")

    page = console.get(f"/console/rights/{request_id}/").content.decode()
    assert "Nothing of mine to my family." in page and 'data-testid="nothing-disclosed"' in page
    assert 'data-testid="proof-form"' in page and 'data-testid="authorise-form"' not in page
    # Nothing is done before the death is recorded and the proof verified.
    early = console.post(f"/console/rights/{request_id}/authorise/", {"override_reason": "Court order 2026-5"})
    assert early.status_code == 400 and "Record the date of death and verify the proof first." in early.content.decode()
    future = _verify(console, request_id, died_on="2999-01-01")
    assert future.status_code == 400 and "This date is in the future." in future.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert _verify(console, request_id).status_code == 302
    # R7: the deceased asked that nothing be disclosed: only with a recorded reason.
    refused = console.post(f"/console/rights/{request_id}/authorise/", {"answer": ""})
    assert refused.status_code == 400
    assert "The deceased asked that nothing be disclosed to relatives." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=False):  # the worker's part is run below, in this transaction
        authorised = console.post(f"/console/rights/{request_id}/authorise/", {"override_reason": "Court order 2026-5"})
    assert authorised.status_code == 302
    assert _request(enterprises, request_id).status == RightsRequest.Status.IN_PROGRESS

    with schema_context(enterprises.a.schema_name), django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_copy.apply(args=[request_id]).get() == "done"

    with schema_context(enterprises.a.schema_name):
        ready = InboxMessage.objects.get(person=manager, request_id=request_id)
        assert "ready to download" in ready.body and ready.link == f"/console/rights/{request_id}/"
        # Never the deceased's own inbox: the relative was told at the address they gave.
        assert not InboxMessage.objects.filter(person=person.user).exists()
    to_relative = [sent for sent in mail.outbox if sent.to == ["Li.Mei@example.com"]]
    assert [sent.body for sent in to_relative][-1] == "The copy is ready; the enterprise will hand it over to you."
    assert len(to_relative) == 3  # received, proof verified, ready
    assert not [sent for sent in mail.outbox if "gu.ren.jia@example.com" in sent.to]
    assert _events(enterprises, request_id) == ["submitted", "proof_verified", "arrangement_overridden",
                                                "authorised", "ready"]

    # The administrator downloads it through a short-lived link, audited as theirs.
    page = console.get(f"/console/rights/{request_id}/").content.decode()
    assert 'data-testid="kin-result"' in page and "Court order 2026-5" in page
    link = console.post(f"/console/rights/{request_id}/download-link/")
    assert link.status_code == 302 and "token=" in link["Location"]
    downloaded = console.get(link["Location"])
    assert downloaded.status_code == 200 and downloaded["Content-Type"] == "application/zip"
    assert json.loads(_zip(downloaded)["profile.json"])[0]["email"] == "gu.ren.jia@example.com"
    assert console.get(link["Location"].split("?")[0] + "?token=forged").status_code == 400
    with schema_context(enterprises.a.schema_name):
        assert list(AuditEntry.objects.filter(action="download", object_id=str(request_id))
                    .values_list("actor", flat=True)) == [f"user:{manager.pk}"]


@pytest.mark.promise("R2")
def test_a_persons_own_copy_is_never_downloadable_from_the_console(enterprises, console_as, manager):
    person = _employee(enterprises, name="自己的")
    request_id = _submit(person, "copy").json()["id"]
    with schema_context(enterprises.a.schema_name):
        assert tasks.build_copy.apply(args=[request_id]).get() == "done"

    console = console_as(manager)
    assert 'data-testid="kin-result"' not in console.get(f"/console/rights/{request_id}/").content.decode()
    assert console.post(f"/console/rights/{request_id}/download-link/").status_code == 404


@pytest.mark.promise("R7")
def test_a_relatives_correction_is_answered_saying_what_was_corrected(enterprises, console_as, manager,
                                                                      django_capture_on_commit_callbacks):
    person = _employee(enterprises, name="故人丁", employee_number="KIN-CORR")
    console = console_as(manager)
    request_id = _record(console, _employee_of(enterprises, person), action="correct", contact="li.mei@example.com")
    assert _verify(console, request_id).status_code == 302

    unrecorded = console.post(f"/console/rights/{request_id}/authorise/", {"answer": "Corrected."})
    assert unrecorded.status_code == 400 and "Record what was corrected" in unrecorded.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answered = console.post(f"/console/rights/{request_id}/authorise/", {
            "answer": "The date of leaving is corrected.", "corrected": "Date of leaving: 2025-02-28 (was 2025-12-31)"})
    assert answered.status_code == 302

    page = console.get(f"/console/rights/{request_id}/").content.decode()
    assert "What was corrected" in page and "Date of leaving: 2025-02-28 (was 2025-12-31)" in page
    assert _request(enterprises, request_id).status == RightsRequest.Status.DONE
    assert mail.outbox[-1].to == ["li.mei@example.com"] and "The date of leaving is corrected." in mail.outbox[-1].body


def test_a_relatives_contact_must_be_a_mobile_number_or_an_email_address(enterprises, console_as, manager):
    person = _employee(enterprises, name="故人戊")
    refused = console_as(manager).post(f"/console/rights/next-of-kin/{_employee_of(enterprises, person).pk}/", {
        "action": "access", "relative_name": "Li Mei", "relationship": "daughter", "contact": "call the neighbour",
        "proof": "death certificate"})
    assert refused.status_code == 400
    assert "Give the relative&#x27;s mobile number or e-mail address." in refused.content.decode()
    with schema_context(enterprises.a.schema_name):
        assert not RightsRequest.objects.filter(person=person.user).exists()


@pytest.mark.promise("R7")
@pytest.mark.promise("R3")
def test_a_relatives_deletion_needs_the_death_recorded_and_the_deceaseds_name_typed(enterprises, console_as, manager):
    person = _employee(enterprises, name="故人乙", employee_number="KIN-DEL")
    console = console_as(manager)
    request_id = _record(console, _employee_of(enterprises, person), action="delete", contact="139 0000 1111")
    authorise = f"/console/rights/{request_id}/authorise/"

    asked = console.post(authorise, {"answer": ""})
    assert asked.status_code == 200 and 'data-testid="confirmation"' in asked.content.decode()
    assert 'name="confirmation_typed"' in asked.content.decode()
    before_proof = console.post(authorise, {"answer": "", "confirmed": "yes", "confirmation_typed": "故人乙"})
    assert before_proof.status_code == 400 and "Record the date of death" in before_proof.content.decode()
    assert _verify(console, request_id).status_code == 302
    untyped = console.post(authorise, {"answer": "", "confirmed": "yes"})
    mistyped = console.post(authorise, {"answer": "", "confirmed": "yes", "confirmation_typed": "故人甲"})
    assert untyped.status_code == mistyped.status_code == 400
    assert 'data-testid="mistyped"' in mistyped.content.decode()
    with schema_context(enterprises.a.schema_name):
        assert not ErasureJob.objects.filter(person_id=person.user.pk).exists()

    confirmed = console.post(authorise, {"answer": "", "confirmed": "yes", "confirmation_typed": " 故人乙 "})

    assert confirmed.status_code == 302
    with schema_context(enterprises.a.schema_name):
        request = RightsRequest.objects.get(pk=request_id)
        assert request.status == RightsRequest.Status.IN_PROGRESS and request.erasure_job_id
        # The relative was told by SMS at the number they gave (normalised), never in the deceased's inbox.
        texts = SmsOutboxMessage.objects.filter(person=person.user, message_kind="next_of_kin_update")
        assert {text.mobile for text in texts} == {"13900001111"} and texts.count() == 3
        assert "being erased" not in " ".join(text.body for text in texts)  # a template: number and status only
        assert not InboxMessage.objects.filter(person=person.user).exists()
        assert erasure_tasks.run_erasure_job.apply(args=[request.erasure_job_id]).get() == ErasureJob.Status.DONE
        assert tasks.watch_deadlines.apply().get()["finished"] == 1
        request.refresh_from_db()
        assert request.status == RightsRequest.Status.DONE
        assert not Employee.objects.filter(account_id=person.user.pk).exists()


@pytest.mark.promise("R3")
def test_the_erased_persons_open_requests_are_closed_saying_why(enterprises, console_as, manager):
    person = _employee(enterprises, name="被删除", employee_number="ERASED-1")
    complaint = _submit(person, "complaint", {"text": "The canteen camera."}).json()["id"]
    correction = _submit(person, "correction", {"field": "display_name", "correct_value": "王被删"}).json()["id"]
    console = console_as(manager)

    started = console.post(f"/console/organisation/employees/{_employee_of(enterprises, person).pk}/erase/",
                           {"confirmation": "ERASED-1", "reason": "left in 2019, records past retention"})
    assert started.status_code == 302
    with schema_context(enterprises.a.schema_name):
        job = ErasureJob.objects.get(person_id=person.user.pk)
        assert erasure_tasks.run_erasure_job.apply(args=[job.pk]).get() == ErasureJob.Status.DONE
        assert job.steps.get(name="tell_the_person").status == "done"

    for request_id in (complaint, correction):
        assert _request(enterprises, request_id).status == RightsRequest.Status.CLOSED
        assert _events(enterprises, request_id)[-1] == "closed_by_erasure"
        page = console.get(f"/console/rights/{request_id}/").content.decode()
        assert "Closed: the person&#x27;s information was erased" in page
        assert 'data-testid="authorise-form"' not in page and 'data-testid="refuse-form"' not in page


@pytest.mark.promise("R5")
@pytest.mark.promise("R3")
def test_a_cancelled_account_is_emailed_the_certificate_with_every_recipient_notice(
        enterprises, django_capture_on_commit_callbacks):
    person = _employee(enterprises, name="注销证书", email="zhu.xiao@example.com")
    with schema_context(enterprises.a.schema_name):
        sharing.share_with_recipient(actor=TEST_SETUP, person=person.user, purpose_code="share.affiliate.qince",
                                     legal_basis=LegalBasis.CONTRACT_NECESSITY, reference="contract 2026-9")
    cancelled = _submit(person, "account_cancellation", {"irreversible_acknowledged": True})
    assert cancelled.status_code == 201
    request_id = cancelled.json()["id"]
    mail.outbox.clear()

    with schema_context(enterprises.a.schema_name), django_capture_on_commit_callbacks(execute=True):
        job_id = RightsRequest.objects.get(pk=request_id).erasure_job_id
        assert erasure_tasks.run_erasure_job.apply(args=[job_id]).get() == ErasureJob.Status.DONE

    [sent] = [message for message in mail.outbox if message.to == ["zhu.xiao@example.com"]]
    assert sent.subject == "The certificate of the erasure of your personal information"
    assert "affiliate.qince: queued" in sent.body
    [(name, content, kind)] = sent.attachments
    certificate = json.loads(content)
    assert name == f"erasure-certificate-{job_id}.json" and kind == "application/json"
    assert certificate["job"] == job_id and certificate["person"] == f"user:{person.user.pk}"
    assert certificate["recipient_notices"] == [{"recipient": "affiliate.qince", "status": "queued",
                                                 "delivered_at": None}]
    assert {step["name"]: step["status"] for step in certificate["steps"]}["tell_recipients"] == "done"
    # The address is gone now; the history says the certificate was sent.
    with schema_context(enterprises.a.schema_name):
        assert not Employee.objects.filter(account_id=person.user.pk).exists()
    assert _events(enterprises, request_id) == ["submitted", "account_cancelled", "certificate_sent"]


@pytest.mark.promise("R3")
def test_an_authorised_deletion_request_is_emailed_the_certificate_too(enterprises, console_as, manager,
                                                                     django_capture_on_commit_callbacks):
    person = _employee(enterprises, name="删除证书", email="shan.chu@example.com")
    request_id = _submit(person, "deletion", {"grounds": "consent_withdrawn"}).json()["id"]
    assert console_as(manager).post(f"/console/rights/{request_id}/authorise/", {"answer": ""}).status_code == 302
    mail.outbox.clear()

    with schema_context(enterprises.a.schema_name), django_capture_on_commit_callbacks(execute=True):
        job_id = RightsRequest.objects.get(pk=request_id).erasure_job_id
        assert erasure_tasks.run_erasure_job.apply(args=[job_id]).get() == ErasureJob.Status.DONE

    [sent] = [message for message in mail.outbox if message.to == ["shan.chu@example.com"]]
    assert "Your information was not shared with any recipient." in sent.body
    assert json.loads(sent.attachments[0][1])["recipient_notices"] == []
    assert _events(enterprises, request_id)[-1] == "certificate_sent"


def test_an_erasure_the_person_did_not_ask_for_sends_no_certificate(enterprises, console_as, manager,
                                                                    django_capture_on_commit_callbacks):
    person = _employee(enterprises, name="无证书", email="wu.zheng@example.com", employee_number="NO-CERT")
    console_as(manager).post(f"/console/organisation/employees/{_employee_of(enterprises, person).pk}/erase/",
                             {"confirmation": "NO-CERT", "reason": "retention ended"})
    with schema_context(enterprises.a.schema_name), django_capture_on_commit_callbacks(execute=True):
        job = ErasureJob.objects.get(person_id=person.user.pk)
        assert erasure_tasks.run_erasure_job.apply(args=[job.pk]).get() == ErasureJob.Status.DONE
    assert not [message for message in mail.outbox if message.to == ["wu.zheng@example.com"]]


def test_dates_of_death_are_read_as_administrators_type_them(enterprises, console_as, manager):
    person = _employee(enterprises, name="故人己")
    console = console_as(manager)
    request_id = _record(console, _employee_of(enterprises, person), action="access")
    assert _verify(console, request_id, died_on="2025年3月1日").status_code == 302
    assert _request(enterprises, request_id).details["date_of_death"] == DIED_ON
    assert _verify(console, request_id, died_on=(date.today() - timedelta(days=1)).isoformat()).status_code == 302
