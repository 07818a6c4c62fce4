"""Issue 16, X4: approval requests through their chain (department head, then named approvers), decided
only by the current step's approver, every step in the inbox, the approval log kept for its
retention class; E6: the whole API behind the approvals application switch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from approvals import services as approval_services
from approvals.api import urls as approval_api_urls
from approvals.models import ApprovalRequest, ApprovalStep
from audit import services as audit_services
from audit.models import AuditEntry
from orgdata.models import Application
from orgdata.services import applications
from rights.models import InboxMessage
from tests.consent.factories import Person, signed_in
from tests.orgdata.factories import make_employee, make_sub_administrator, make_tree

LEAVE = {"leave_type": "annual", "start_date": "2026-05-04", "end_date": "2026-05-08", "reason": "Family visit"}


@dataclass
class Chain:
    applicant: Person
    head: Person
    finance: Person
    bystander: Person
    manager: User
    tree: dict


@pytest.fixture
def chain(enterprises) -> Chain:
    """An applicant in Back end (no head of its own: R&D's head decides first), then Finance's
    named approver of leave; leave is offered."""
    with schema_context(enterprises.a.schema_name):
        manager = User.objects.get(role=User.Role.MANAGER)
        tree = make_tree()
        applicant = make_employee(department=tree["backend"], name="陈一").account
        head = make_employee(department=tree["rnd"], name="周二").account
        finance = make_employee(department=tree["hq"], name="吴三").account
        bystander = make_employee(department=tree["backend"], name="郑四").account
        approval_services.switch_kind(actor=manager, kind="leave", enabled=True)
        approval_services.set_department_head(actor=manager, department=tree["rnd"], head=head)
        approval_services.set_named_approvers(actor=manager, kind="leave", approvers=[finance])
    sign = lambda account: signed_in(enterprises.a, account, with_attendance=False)  # noqa: E731
    return Chain(sign(applicant), sign(head), sign(finance), sign(bystander), manager, tree)


def _decide(person: Person, request_id: int, decision: str, comment: str = ""):
    return person.post(f"/api/v1/approvals/requests/{request_id}/decision", {"decision": decision, "comment": comment})


def _inbox_ids(person: Person) -> list[int]:
    response = person.get("/api/v1/approvals/inbox")
    assert response.status_code == 200
    return [item["request"] for item in response.json()["results"]]


def _messages(enterprise, person: Person) -> list[InboxMessage]:
    with schema_context(enterprise.schema_name):
        return list(InboxMessage.objects.filter(person=person.user, topic=InboxMessage.Topic.APPROVAL))


@pytest.mark.promise("X4")
def test_a_request_goes_through_its_chain_and_only_the_current_approver_decides(enterprises, chain):
    kinds = chain.applicant.get("/api/v1/approvals/kinds").json()
    assert [kind["kind"] for kind in kinds] == ["leave"]  # only what the enterprise switched on
    submitted = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE})
    assert submitted.status_code == 201, submitted.content
    request_id = submitted.json()["id"]
    assert [(step["approver"], step["role"], step["state"]) for step in submitted.json()["steps"]] == [
        ("周二", "department_head", "pending"), ("吴三", "named", "waiting")]

    # The head's inbox (the approvals list and the one inbox) has it; the named approver's not yet.
    assert _inbox_ids(chain.head) == [request_id] and _inbox_ids(chain.finance) == []
    assert [m.link for m in _messages(enterprises.a, chain.head)] == [f"/api/v1/approvals/requests/{request_id}"]

    # Only the current step's approver decides: not the next approver (the request has not reached
    # them: they do not even see it yet), not a colleague, not the applicant.
    assert _decide(chain.finance, request_id, "approve").status_code == 404
    assert chain.finance.get(f"/api/v1/approvals/requests/{request_id}").status_code == 404
    assert _decide(chain.applicant, request_id, "approve").json()["code"] == "not_your_step"
    assert _decide(chain.bystander, request_id, "approve").status_code == 404  # not in the chain: unseen
    assert chain.bystander.get(f"/api/v1/approvals/requests/{request_id}").status_code == 404

    approved = _decide(chain.head, request_id, "approve", "Fine by me")
    assert approved.status_code == 200 and approved.json()["status"] == "pending"
    assert _inbox_ids(chain.head) == [] and _inbox_ids(chain.finance) == [request_id]
    assert _decide(chain.head, request_id, "approve").json()["code"] == "not_your_step"  # their step is done

    missing = _decide(chain.finance, request_id, "reject")
    assert missing.status_code == 400 and "comment" in missing.json()["fields"]
    rejected = _decide(chain.finance, request_id, "reject", "Project deadline that week")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert [(s["state"], s["comment"]) for s in rejected.json()["steps"]] == [
        ("approved", "Fine by me"), ("rejected", "Project deadline that week")]
    assert _decide(chain.finance, request_id, "approve").json()["code"] == "approval_not_open"

    told = _messages(enterprises.a, chain.applicant)
    assert len(told) == 1 and "Project deadline that week" in told[0].body
    # X4: every step is in the audit log, naming who acted, from where, field names only.
    with schema_context(enterprises.a.schema_name):
        step_ids = [str(pk) for pk in ApprovalStep.objects.filter(request_id=request_id).values_list("pk", flat=True)]
        decisions = AuditEntry.objects.filter(object_type="approvals.approvalstep", object_id__in=step_ids,
                                              action="update")
        assert {(entry.actor, entry.ip) for entry in decisions} == {
            (f"user:{chain.head.user.pk}", "203.0.113.7"), (f"user:{chain.finance.user.pk}", "203.0.113.7")}
        assert any("comment" in entry.changed_fields for entry in decisions)
        assert not [entry for entry in decisions if "Fine by me" in str(entry.changed_fields)]
    assert chain.applicant.get("/api/v1/approvals/requests").json()[0]["status"] == "rejected"
    # The approvers' history: what they decided.
    assert [row["id"] for row in chain.head.get("/api/v1/approvals/requests?as=approver").json()] == [request_id]
    assert chain.bystander.get("/api/v1/approvals/requests?as=approver").json() == []


@pytest.mark.promise("X4")
def test_a_returned_request_is_changed_and_goes_through_the_chain_again(enterprises, chain):
    request_id = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE}).json()["id"]
    returned = _decide(chain.head, request_id, "return", "Say which project covers you")
    assert returned.json()["status"] == "returned" and _inbox_ids(chain.finance) == []
    assert chain.head.post(f"/api/v1/approvals/requests/{request_id}/resubmit",
                           {"details": LEAVE}).json()["code"] == "not_your_step"

    again = chain.applicant.post(f"/api/v1/approvals/requests/{request_id}/resubmit",
                                 {"details": {**LEAVE, "reason": "Family visit; Wu covers the release"}})
    assert again.status_code == 200 and again.json()["round"] == 2 and again.json()["status"] == "pending"
    assert _inbox_ids(chain.head) == [request_id]
    assert _decide(chain.head, request_id, "approve").status_code == 200
    done = _decide(chain.finance, request_id, "approve")
    assert done.json()["status"] == "approved"
    # The log keeps both rounds: who decided what, when.
    assert [(s["round"], s["state"]) for s in done.json()["steps"]] == [
        (1, "returned"), (1, "skipped"), (2, "approved"), (2, "approved")]
    assert "approved" in _messages(enterprises.a, chain.applicant)[0].subject_line.lower()


def test_a_request_is_refused_whole_with_the_fields_named(enterprises, chain):
    bad = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": {
        "leave_type": "holiday", "start_date": "2026-05-08", "end_date": "2026-05-04", "colour": "red"}})
    assert bad.status_code == 400
    assert {"leave_type", "end_date", "colour"} <= set(bad.json()["fields"])
    not_offered = chain.applicant.post("/api/v1/approvals/requests", {"kind": "expense", "details": {
        "amount": "12.50", "category": "meals", "spent_on": "2026-01-05", "description": "Client lunch"}})
    assert not_offered.status_code == 403 and not_offered.json()["code"] == "kind_not_offered"
    with schema_context(enterprises.a.schema_name):
        # Nobody can decide for someone whose department and kind have no approver: nothing written.
        approval_services.set_named_approvers(actor=chain.manager, kind="leave", approvers=[])
        approval_services.set_department_head(actor=chain.manager, department=chain.tree["rnd"], head=None)
    nobody = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE})
    assert nobody.status_code == 409 and nobody.json()["code"] == "no_approver"
    with schema_context(enterprises.a.schema_name):
        assert not ApprovalRequest.objects.filter(applicant=chain.applicant.user).exists()


def test_nobody_approves_their_own_request(enterprises, chain):
    """The head's own request skips them: the department above them has no head, so the named approver decides."""
    submitted = chain.head.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE})
    assert [(step["approver"], step["role"]) for step in submitted.json()["steps"]] == [("吴三", "named")]


@pytest.mark.promise("E6")
def test_every_approvals_endpoint_refuses_a_person_whose_approvals_application_is_off(enterprises, chain):
    with schema_context(enterprises.a.schema_name):
        applications.switch_application(actor=chain.manager, application=Application.objects.get(code="approvals"),
                                        enabled=False, person=chain.applicant.user)
    calls = [(method, reverse(route.name, kwargs={name: 1 for name in route.pattern.converters}))
             for route in approval_api_urls.urlpatterns
             for method in ("get", "post", "put", "patch", "delete") if hasattr(route.callback.view_class, method)]
    assert len(calls) >= 8
    for method, path in calls:
        response = getattr(chain.applicant.client, method)(path, {"kind": "leave", "details": LEAVE}, format="json")
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "application_not_authorised", (method, path)
    with schema_context(enterprises.a.schema_name):
        assert not ApprovalRequest.objects.filter(applicant=chain.applicant.user).exists()
    assert chain.bystander.get("/api/v1/approvals/kinds").status_code == 200  # switched on for them


@pytest.mark.promise("X4")
def test_the_approval_log_is_kept_for_the_transaction_class_then_anonymised(enterprises, chain):
    kept_id = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE}).json()["id"]
    old_id = chain.bystander.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE}).json()["id"]
    _decide(chain.head, kept_id, "reject", "Busy week")
    _decide(chain.head, old_id, "reject", "Busy week")
    with schema_context(enterprises.a.schema_name):
        now = timezone.now()
        ApprovalRequest.objects.filter(pk=kept_id).update(submitted_at=now - timedelta(days=2 * 365))
        ApprovalStep.objects.filter(request_id=kept_id).update(created_at=now - timedelta(days=2 * 365))
        ApprovalRequest.objects.filter(pk=old_id).update(submitted_at=now - timedelta(days=37 * 31))
        ApprovalStep.objects.filter(request_id=old_id).update(created_at=now - timedelta(days=37 * 31))
        audit_services.apply_retention(actor=audit_services.RETENTION)
        kept, old = ApprovalRequest.objects.get(pk=kept_id), ApprovalRequest.objects.get(pk=old_id)
        # Two years on: everything is there. Past three years: the row stays (what was decided,
        # when), its contents anonymised.
        assert kept.details["reason"] == "Family visit"
        assert ApprovalStep.objects.get(request_id=kept_id, round=1, position=1).comment == "Busy week"
        assert old.details is None and old.status == "rejected"
        assert set(ApprovalStep.objects.filter(request_id=old_id).values_list("comment", flat=True)) == {""}


@pytest.mark.promise("X4")
def test_the_console_shows_the_approver_their_requests_and_the_manager_the_log(enterprises, chain, client):
    with schema_context(enterprises.a.schema_name):
        deputy = make_sub_administrator(departments=[chain.tree["sales"]], manager=chain.manager, name="冯五")
        approval_services.set_department_head(actor=chain.manager, department=chain.tree["rnd"], head=deputy)
    request_id = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE}).json()["id"]
    client.defaults["HTTP_HOST"] = enterprises.a.host
    with schema_context(enterprises.a.schema_name):
        client.force_login(deputy)
    waiting = client.get("/console/approvals/")
    assert waiting.status_code == 200 and f"/console/approvals/requests/{request_id}/" in waiting.content.decode()
    scoped_log = client.get("/console/approvals/log/")
    assert scoped_log.status_code == 200 and f"#{request_id}" not in scoped_log.content.decode()  # not their people
    mine = client.get(f"/console/approvals/requests/{request_id}/").content.decode()
    assert "Family visit" in mine and "sensitive-mark" in mine  # their step; C2: marked sensitive
    refused = client.post(f"/console/approvals/requests/{request_id}/", {"decision": "return", "comment": ""})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    assert client.post(f"/console/approvals/requests/{request_id}/",
                       {"decision": "approve", "comment": "OK"}).status_code == 302
    with schema_context(enterprises.a.schema_name):
        client.force_login(chain.manager)
    log = client.get("/console/approvals/log/?status=pending").content.decode()
    assert f"#{request_id}" in log and "陈一" in log
    page = client.get(f"/console/approvals/requests/{request_id}/").content.decode()
    assert "冯五" in page and "OK" in page and 'data-testid="decision-form"' not in page  # not the manager's step
    # C2: the log's reader sees who decided what and when, not the leave's type or reason.
    assert 'data-testid="approval-details-masked"' in page and "Family visit" not in page and "Annual" not in page

    assert client.post("/console/approvals/settings/kinds/", {"expense": "on"}).status_code == 302
    assert [kind["kind"] for kind in chain.applicant.get("/api/v1/approvals/kinds").json()] == ["expense"]
    with schema_context(enterprises.a.schema_name):
        client.force_login(deputy)
    assert client.get("/console/approvals/settings/").status_code == 403
    with schema_context(enterprises.a.schema_name):  # E6: the approvals application off for the deputy
        applications.switch_application(actor=chain.manager, application=Application.objects.get(code="approvals"),
                                        enabled=False, person=deputy)
    assert client.get("/console/approvals/").status_code == 403


def test_the_applicant_withdraws_a_waiting_request_and_it_leaves_the_approvers_inbox(enterprises, chain):
    request_id = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE}).json()["id"]
    assert chain.head.post(f"/api/v1/approvals/requests/{request_id}/withdraw").json()["code"] == "not_your_step"
    withdrawn = chain.applicant.post(f"/api/v1/approvals/requests/{request_id}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert _inbox_ids(chain.head) == []
    assert _decide(chain.head, request_id, "approve").json()["code"] == "approval_not_open"
    assert chain.applicant.post(f"/api/v1/approvals/requests/{request_id}/withdraw").json()["code"] == \
        "approval_not_open"


@pytest.mark.promise("X4")
def test_an_approver_sees_a_request_only_once_it_reached_their_step(enterprises, chain):
    request_id = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE}).json()["id"]
    # Finance's step is still waiting: the leave's type, dates and reason are not theirs to read yet.
    assert chain.finance.get(f"/api/v1/approvals/requests/{request_id}").status_code == 404
    assert chain.head.get(f"/api/v1/approvals/requests/{request_id}").json()["details"]["reason"] == "Family visit"
    # Rejected at the first step: Finance's step is skipped, and they never see it.
    assert _decide(chain.head, request_id, "reject", "Release week").status_code == 200
    assert chain.finance.get(f"/api/v1/approvals/requests/{request_id}").status_code == 404
    assert chain.head.get(f"/api/v1/approvals/requests/{request_id}").status_code == 200  # they decided it

    second = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE}).json()["id"]
    assert _decide(chain.head, second, "approve").status_code == 200
    reached = chain.finance.get(f"/api/v1/approvals/requests/{second}")
    assert reached.status_code == 200 and reached.json()["details"]["reason"] == "Family visit"


@pytest.mark.promise("E6")
def test_an_approver_whose_approvals_application_is_off_is_passed_over(enterprises, chain):
    approvals = lambda: Application.objects.get(code="approvals")  # noqa: E731
    with schema_context(enterprises.a.schema_name):
        applications.switch_application(actor=chain.manager, application=approvals(), enabled=False,
                                        person=chain.head.user)
    submitted = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE})
    assert submitted.status_code == 201
    assert [(step["approver"], step["role"]) for step in submitted.json()["steps"]] == [("吴三", "named")]
    assert _inbox_ids(chain.finance) == [submitted.json()["id"]]
    with schema_context(enterprises.a.schema_name):
        applications.switch_application(actor=chain.manager, application=approvals(), enabled=False,
                                        person=chain.finance.user)
    nobody = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": LEAVE})
    assert nobody.status_code == 409 and nobody.json()["code"] == "no_approver"


@pytest.mark.promise("C2")
def test_a_requests_contents_and_comments_are_stored_encrypted_under_the_applicants_key(enterprises, chain):
    request_id = chain.applicant.post("/api/v1/approvals/requests", {"kind": "leave", "details": {
        **LEAVE, "leave_type": "sick", "reason": "Migraine, doctor's note"}}).json()["id"]
    assert _decide(chain.head, request_id, "return", "Attach the note please").status_code == 200
    with schema_context(enterprises.a.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT details FROM approvals_approvalrequest WHERE id = %s", [request_id])
        [(stored_details,)] = cursor.fetchall()
        cursor.execute("SELECT comment FROM approvals_approvalstep WHERE request_id = %s AND comment IS NOT NULL",
                       [request_id])
        [(stored_comment,)] = cursor.fetchall()
        request = ApprovalRequest.objects.get(pk=request_id)
        assert request.person_key_id == chain.applicant.user.person_key_id
        assert set(request.steps.values_list("person_key_id", flat=True)) == {chain.applicant.user.person_key_id}
    assert "Migraine" not in stored_details and "sick" not in stored_details
    assert "Attach the note" not in stored_comment
    shown = chain.applicant.get(f"/api/v1/approvals/requests/{request_id}").json()
    assert shown["details"]["reason"] == "Migraine, doctor's note" and shown["sensitive_fields"] == ["details"]
    assert [step["comment"] for step in shown["steps"]] == ["Attach the note please", ""]
