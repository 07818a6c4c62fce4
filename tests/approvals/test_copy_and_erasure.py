"""Issue 16: approvals and announcements are in the data map, so the copy of my data (R2) carries a
person's approval requests and the read state of their announcements, and the erasure engine's
residue scan (R4) covers them."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from access.actors import SystemActor
from announcements.models import Delivery, PersonalisationChoice, PushOutboxMessage, Unsubscription
from approvals.models import ApprovalRequest, ApprovalStep, DepartmentHead, NamedApprover
from erasure import services as erasure_services
from erasure.models import ErasureJob
from rights import copy_archive
from tests.erasure.factories import make_person_everywhere

PRIVACY_REQUEST = SystemActor("privacy request (test)")


def _files(person) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(copy_archive.build_copy_archive(person=person))) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


@pytest.mark.promise("R2")
@pytest.mark.promise("X4")
def test_the_copy_has_the_persons_approval_requests_and_announcement_read_state(in_a, manager):
    person = make_person_everywhere(manager=manager)
    files = _files(person)
    [request] = json.loads(files["approval-requests.json"])
    assert request["kind"] == "Leave" and request["status"] == "Approved"
    assert request["details"]["reason"] == "Flu, doctor's note"
    [decision] = json.loads(files["approval-decisions.json"])
    assert decision["comment"] == "Get well, Zhao" and "approver" not in decision  # another account: left out
    [announcement] = json.loads(files["announcements.json"])
    assert announcement["read_at"] and announcement["announcement"] == "Canteen closed"
    assert json.loads(files["personalisation.json"])[0]["is_personalised"] is False
    assert [row["channel"] for row in json.loads(files["channels-left.json"])] == ["Company notices"]
    manifest = json.loads(files["manifest.json"])
    details = next(entry for category in manifest["categories"] if category["name"] == "approval-requests"
                   for entry in category["fields"] if entry["name"] == "details")
    assert details["retention_starts"] == "submitted_at" and details["retention_months"] == 36


@pytest.mark.promise("R4")
@pytest.mark.promise("X4")
def test_erasure_anonymises_the_approval_log_and_deletes_the_rest(in_a, manager):
    person = make_person_everywhere(manager=manager)
    request_id = ApprovalRequest.objects.get(applicant=person).pk
    job = erasure_services.run_erasure_job(job_id=erasure_services.erase_person(
        actor=PRIVACY_REQUEST, person=person, reason="the person asked (test)").pk)
    assert job.status == ErasureJob.Status.DONE and job.residue == []
    # X4: the approval log stays (what was decided, when), its contents anonymised.
    kept = ApprovalRequest.objects.get(pk=request_id)
    assert kept.details is None and kept.status == "approved"
    assert list(ApprovalStep.objects.filter(request=kept).values_list("comment", flat=True)) == [""]
    assert {"approvals.ApprovalRequest", "approvals.ApprovalStep"} <= set(job.kept)
    for model, field in ((Delivery, "person"), (Unsubscription, "person"), (PersonalisationChoice, "person"),
                         (PushOutboxMessage, "person"), (DepartmentHead, "head"), (NamedApprover, "approver")):
        assert not model.objects.filter(**{field: person}).exists(), model


def test_the_residue_scan_names_approval_and_announcement_rows_left_behind(in_a, manager, monkeypatch):
    other = make_person_everywhere(manager=manager)
    monkeypatch.setattr(erasure_services, "STEPS", tuple(
        step for step in erasure_services.STEPS if step[0] not in ("rows_by_data_map", "destroy_key")))
    failed = erasure_services.erase_person(actor=PRIVACY_REQUEST, person=other, reason="the person asked (test)")
    with pytest.raises(erasure_services.ResidueFound):
        erasure_services.run_erasure_job(job_id=failed.pk)
    failed.refresh_from_db()
    assert {"approvals_approvalrequest.details", "approvals_approvalstep.comment", "announcements_delivery.*",
            "announcements_unsubscription.*", "approvals_departmenthead.*"} <= set(failed.residue)
