"""Reads of approvals: the applicant's requests, the approver's inbox, the approval log (X4)."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from access.capabilities import Capability, people_in_scope, require
from approvals.models import ApprovalRequest, ApprovalStep, DepartmentHead, Kind, KindSetting, NamedApprover


def offered_kinds() -> list[str]:
    """The kinds the enterprise offers, in the catalogue's order."""
    enabled = set(KindSetting.objects.filter(is_enabled=True).values_list("kind", flat=True))
    return [kind for kind in Kind.values if kind in enabled]


def requests_of(applicant) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(applicant=applicant).select_related("applicant")


def requests_seen_by(person) -> QuerySet[ApprovalRequest]:
    """The requests `person` applied for, or whose chain has reached their step (it waits for their
    decision, or they decided it: the step was activated). An approver further down the chain sees
    nothing before the request reaches them, nor ever if it was decided before (their step skipped)."""
    reached = ApprovalStep.objects.filter(approver=person, activated_at__isnull=False)
    return ApprovalRequest.objects.filter(Q(applicant=person) | Q(pk__in=reached.values("request_id")))


def decided_by(approver) -> QuerySet[ApprovalRequest]:
    """The requests `approver` has decided a step of (their history as an approver), newest first."""
    return ApprovalRequest.objects.filter(pk__in=ApprovalStep.objects.filter(
        approver=approver, decided_at__isnull=False).values("request_id")).select_related("applicant")


def inbox_of(approver) -> QuerySet[ApprovalStep]:
    """The steps waiting for `approver`'s decision, the newest first (index approval_step_inbox)."""
    return (ApprovalStep.objects.filter(approver=approver, state=ApprovalStep.State.PENDING)
            .order_by("-activated_at", "-id").select_related("request", "request__applicant")
            # Only what the list shows: loading the applicants' whole accounts would decrypt their
            # mobile numbers (their data keys unwrapped) for nothing.
            .only("request_id", "activated_at", "request__kind", "request__details", "request__submitted_at",
                  "request__applicant__display_name"))


def approval_log_visible_to(viewer) -> QuerySet[ApprovalRequest]:
    """X4: every request with its steps, as far as the viewer's scope reaches (E5)."""
    require(viewer, Capability.SEE_APPROVAL_LOG)
    return (ApprovalRequest.objects.filter(people_in_scope(viewer, Capability.SEE_APPROVAL_LOG, field="applicant"))
            .select_related("applicant").prefetch_related("steps__approver"))


def department_heads() -> QuerySet[DepartmentHead]:
    return DepartmentHead.objects.select_related("department", "head").order_by("department__path")


def named_approvers() -> QuerySet[NamedApprover]:
    return NamedApprover.objects.select_related("approver")
