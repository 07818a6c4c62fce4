"""Writes of approvals: the enterprise's configuration, and a request's way through its chain.

The chain of a request, built when it is submitted (and again when a returned request is
submitted anew): first the direct manager of the applicant's department (`DepartmentHead`; a
department without one is headed by the nearest department above it that has one), then the
kind's named approvers in their order. Nobody approves their own request: the applicant is left
out, and so is anyone already in the chain. Each step reaches its approver's inbox; the last
decision reaches the applicant's. Every row is audited (the data map declares them personal).
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.capabilities import Capability, may, require
from access.actors import account_of, require_actor
from accounts.models import User
from approvals import kinds
from approvals.errors import KindNotOffered, NoApprover, NotDecidable, NotYourStep
from approvals.models import ApprovalRequest, ApprovalStep, DepartmentHead, Kind, KindSetting, NamedApprover
from audit.chain import lock_person
from audit.recording import record_event
from orgdata.models import Department, Employee
from rights import inbox

COMMENT_LIMIT = 1000
Status, State = ApprovalRequest.Status, ApprovalStep.State


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    ALL = (APPROVE, REJECT, RETURN)


# --- the enterprise's configuration (the manager's, enterprise-wide) --------------------------------

@transaction.atomic
def switch_kind(*, actor, kind: str, enabled: bool) -> KindSetting:
    """Offer (or stop offering) one kind of request. Refuses anyone but the manager (NotPermitted)."""
    require(actor, Capability.CONFIGURE_APPROVALS)
    if kind not in Kind.values:
        raise ValidationError({"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(Kind.values)}]})
    setting, _created = KindSetting.objects.select_for_update().get_or_create(kind=kind)
    setting.is_enabled = bool(enabled)
    setting.changed_by = account_of(actor)
    setting.save()
    record_event(action="approval_kind_switched", object_type="approvals.kindsetting", object_id=setting.pk,
                 changed_fields=["is_enabled"])
    return setting


@transaction.atomic
def set_department_head(*, actor, department: Department, head: User | None) -> None:
    """Name the direct manager of `department` (None: it has none; the department above decides).
    Refuses anyone but the manager, and a head who is not an active member of the enterprise."""
    require(actor, Capability.CONFIGURE_APPROVALS)
    if head is not None and not head.is_active:
        raise ValidationError({"head": [_("Choose an active member of the enterprise.")]})
    if head is None:
        DepartmentHead.objects.filter(department=department).delete()
    else:
        lock_person(head.pk, exclusive=False)  # lock order: the person before the audit-chain head
        DepartmentHead.objects.update_or_create(department=department, defaults={"head": head})
    record_event(action="department_head_set", object_type="orgdata.department", object_id=department.pk,
                 changed_fields=["head"])


@transaction.atomic
def set_named_approvers(*, actor, kind: str, approvers: list[User]) -> list[NamedApprover]:
    """Replace the named approvers of `kind` by `approvers`, in that order (duplicates once).
    Refuses anyone but the manager, and inactive accounts."""
    require(actor, Capability.CONFIGURE_APPROVALS)
    if kind not in Kind.values:
        raise ValidationError({"kind": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(Kind.values)}]})
    if any(not approver.is_active for approver in approvers):
        raise ValidationError({"approvers": [_("Choose active members of the enterprise.")]})
    unique = list(dict.fromkeys(approvers))
    for approver_id in sorted({approver.pk for approver in unique}):
        lock_person(approver_id, exclusive=False)  # lock order: the people before the audit-chain head
    NamedApprover.objects.filter(kind=kind).delete()
    named = [NamedApprover.objects.create(kind=kind, position=position, approver=approver)
             for position, approver in enumerate(unique, start=1)]
    record_event(action="named_approvers_set", object_type="approvals.namedapprover", object_id=kind,
                 changed_fields=["approver", "position"])
    return named


def is_offered(kind: str) -> bool:
    return KindSetting.objects.filter(kind=kind, is_enabled=True).exists()


# --- a request's way through its chain ----------------------------------------------------------------

def chain_for(applicant: User, kind: str) -> list[tuple[User, str]]:
    """(approver, role) in order: the department's direct manager, then the kind's named approvers.
    E6: an approver whose approvals application is switched off is left out (a head so left out
    is passed over for the head of the department above)."""
    chain: list[tuple[User, str]] = []
    department_path = (Employee.objects.filter(account=applicant).values_list("department__path", flat=True)
                       .first() or "")
    nearest_first = [int(part) for part in reversed(department_path.strip("/").split("/")) if part]
    heads = {row.department_id: row.head for row in
             DepartmentHead.objects.filter(department_id__in=nearest_first, head__is_active=True)
             .exclude(head=applicant).select_related("head")}
    for department_id in nearest_first:
        if department_id in heads and _uses_approvals(heads[department_id]):
            chain.append((heads[department_id], ApprovalStep.Role.DEPARTMENT_HEAD))
            break
    for named in NamedApprover.objects.filter(kind=kind, approver__is_active=True).select_related("approver"):
        if (named.approver_id != applicant.pk and all(named.approver_id != approver.pk for approver, _r in chain)
                and _uses_approvals(named.approver)):
            chain.append((named.approver, ApprovalStep.Role.NAMED))
    return chain


def _uses_approvals(approver: User) -> bool:
    return may(approver, Capability.USE_APPLICATION, target="approvals")


def _lock_people(applicant_id: int, approver_ids=()) -> None:
    # Lock order: the people's rows (applicant and approvers, by id) before the audit-chain head,
    # which the audited saves below take.
    for person_id in sorted({applicant_id, *approver_ids}):
        lock_person(person_id, exclusive=False)


def _chain_or_refuse(applicant: User, kind: str) -> list[tuple[User, str]]:
    chain = chain_for(applicant, kind)
    if not chain:
        raise NoApprover(_("Nobody can approve this request yet: ask your administrator to name a head of "
                           "your department or an approver of this kind."))
    return chain


def _open_round(request: ApprovalRequest, chain: list[tuple[User, str]]) -> None:
    """The steps of a new round (the people already locked by the caller)."""
    now = timezone.now()
    for position, (approver, role) in enumerate(chain, start=1):
        ApprovalStep.objects.create(request=request, round=request.round, position=position, approver=approver,
                                    person_key_id=request.person_key_id, role=role, state=State.PENDING if position == 1 else State.WAITING,
                                    activated_at=now if position == 1 else None)
    _tell_approver(request, chain[0][0])


@transaction.atomic
def submit(*, actor, kind: str, details) -> ApprovalRequest:
    """The applicant (`actor`) submits a request of `kind` with its form. Refuses a kind the
    enterprise does not offer (KindNotOffered), a bad form (ValidationError naming the fields) and
    a request nobody can approve (NoApprover); nothing is written then."""
    require_actor(actor)
    cleaned = kinds.clean_details(kind, details)
    if not is_offered(kind):
        raise KindNotOffered(_("Your enterprise does not offer this kind of request."))
    chain = _chain_or_refuse(actor, kind)
    _lock_people(actor.pk, [approver.pk for approver, _role in chain])
    request = ApprovalRequest.objects.create(applicant=actor, person_key_id=actor.person_key_id, kind=kind,
                                             details=cleaned, submitted_at=timezone.now())
    _open_round(request, chain)
    return request


def _locked(request: ApprovalRequest, approver_ids=()) -> ApprovalRequest:
    """The request's row, locked after its people's rows (by id): every
    write below is audited and takes the audit-chain head, which comes last in the lock order."""
    _lock_people(request.applicant_id, approver_ids)
    return ApprovalRequest.objects.select_for_update().select_related("applicant").get(pk=request.pk)


@transaction.atomic
def decide(*, actor, request: ApprovalRequest, decision: str, comment: str = "") -> ApprovalRequest:
    """The approver of the current step approves, rejects or returns `request` with a comment
    (required to reject or return). Approving hands the request to the next step, or approves it
    after the last; rejecting or returning ends the round and tells the applicant.

    Refuses (NotYourStep) anyone but the current step's approver (X4), and (NotDecidable) a
    request that waits for nobody's decision."""
    require_actor(actor)
    comment = (comment or "").strip()
    if decision not in Decision.ALL:
        raise ValidationError({"decision": [_("Choose approve, reject or return.")]})
    if len(comment) > COMMENT_LIMIT:
        raise ValidationError({"comment": [_("Keep the comment under %(limit)s characters.")
                                           % {"limit": COMMENT_LIMIT}]})
    if decision != Decision.APPROVE and not comment:
        raise ValidationError({"comment": [_("Say why, so the applicant knows what to change.")]})
    request = _locked(request, request.steps.filter(round=request.round).values_list("approver_id", flat=True))
    step = request.steps.filter(round=request.round, state=State.PENDING).first()
    if request.status != Status.PENDING or step is None:
        raise NotDecidable(_("This request is not waiting for a decision."))
    if step.approver_id != actor.pk:
        raise NotYourStep(_("Only the approver of the current step can decide this request."))
    now = timezone.now()
    step.comment, step.decided_at = comment, now
    if decision == Decision.APPROVE:
        step.state = State.APPROVED
        step.save()
        following = request.steps.filter(round=request.round, state=State.WAITING).order_by("position").first()
        if following is not None:
            following.state, following.activated_at = State.PENDING, now
            following.save()
            _tell_approver(request, following.approver)
            return request
        request.status = Status.APPROVED
    else:
        step.state = State.REJECTED if decision == Decision.REJECT else State.RETURNED
        step.save()
        _skip_the_rest(request)
        request.status = Status.REJECTED if decision == Decision.REJECT else Status.RETURNED
    request.decided_at = now
    request.save()
    _tell_applicant(request, comment)
    return request


def _skip_the_rest(request: ApprovalRequest) -> None:
    for waiting in request.steps.filter(round=request.round, state__in=[State.WAITING, State.PENDING]):
        waiting.state = State.SKIPPED
        waiting.save()


@transaction.atomic
def resubmit(*, actor, request: ApprovalRequest, details) -> ApprovalRequest:
    """The applicant submits a returned request again with a changed form: a new round of the
    chain. Refuses anyone but the applicant (NotPermitted) and a request not returned."""
    require_actor(actor)
    if request.applicant_id != actor.pk:
        raise NotYourStep(_("Only the applicant can submit this request again."))
    cleaned = kinds.clean_details(request.kind, details)
    if not is_offered(request.kind):
        raise KindNotOffered(_("Your enterprise does not offer this kind of request."))
    chain = _chain_or_refuse(request.applicant, request.kind)
    request = _locked(request, [approver.pk for approver, _role in chain])
    if request.status != Status.RETURNED:
        raise NotDecidable(_("Only a request returned for changes can be submitted again."))
    request.details, request.status, request.decided_at = cleaned, Status.PENDING, None
    request.round += 1
    request.save()
    _open_round(request, chain)
    return request


@transaction.atomic
def withdraw(*, actor, request: ApprovalRequest) -> ApprovalRequest:
    """The applicant withdraws a request still waiting or returned; its open steps are closed."""
    require_actor(actor)
    if request.applicant_id != actor.pk:
        raise NotYourStep(_("Only the applicant can withdraw this request."))
    request = _locked(request)
    if request.status not in (Status.PENDING, Status.RETURNED):
        raise NotDecidable(_("This request was already decided."))
    _skip_the_rest(request)
    request.status, request.decided_at = Status.WITHDRAWN, timezone.now()
    request.save()
    return request


# --- telling people (the one inbox, topic "approval") ---------------------------------------------------

def _link(request: ApprovalRequest) -> str:
    return f"/api/v1/approvals/requests/{request.pk}"


def _tell_approver(request: ApprovalRequest, approver: User) -> None:
    inbox.deliver(person=approver, topic=inbox.Topic.APPROVAL, link=_link(request),
                  subject=_("%(kind)s to approve") % {"kind": request.get_kind_display()},
                  body=_("%(name)s asks you to approve a request (%(kind)s #%(number)s).")
                  % {"name": request.applicant.display_name, "kind": request.get_kind_display(),
                     "number": request.pk})


def _tell_applicant(request: ApprovalRequest, comment: str) -> None:
    body = _("Your request %(kind)s #%(number)s: %(status)s.") % {
        "kind": request.get_kind_display(), "number": request.pk, "status": request.get_status_display()}
    if comment:
        body += "\n" + _("Comment: %(comment)s") % {"comment": comment}
    inbox.deliver(person=request.applicant, topic=inbox.Topic.APPROVAL, link=_link(request),
                  subject=_("Your request: %(status)s") % {"status": request.get_status_display()}, body=body)
