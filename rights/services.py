"""Every write to rights requests (issue 13): the individual submits and withdraws; the enterprise's
administrators (the manager, or the PI protection contact: Capability.HANDLE_RIGHTS_REQUESTS)
authorise, answer or refuse; system work fulfils copies, cancels accounts and escalates.

Every request is verified before anything is done (R8: the password and a one-time code sent to the
account's mobile number), is due on a date the platform tracks (rights.deadlines), and every step is
a RequestEvent the person sees, a message in their inbox (and an e-mail where an address is known),
and an entry in the audit log (the models are audited). A refusal names one of the listed reasons
and explains it (R8); a legal exception is recorded as such (R9). Requests are free; a repeated or
excessive one is flagged, never a shortcut past verification.

What each kind leads to:
- copy, generated (R2): built in the background at once (rights.copy_archive), downloadable by the
  person through a short-lived link;
- deletion (R3): an administrator authorises it, then the erasure engine runs;
- account cancellation (R5): the account is closed at once (within 1 working day) and the erasure
  engine runs (information erased within 7 working days); irreversible;
- correction, automated decision (R6), complaint (R10): answered in writing;
- next of kin (R7): recorded by an administrator; nothing is done before the death is recorded and
  the proof verified on the request; then access or copy builds the deceased's copy for the
  administrator to hand over (the deceased's "disclose nothing" arrangement needs a recorded override
  reason), a correction is answered with what was corrected, a deletion (typed confirmation in the
  console) runs the erasure engine. The relative is told through the contact they gave, never the
  deceased's inbox.

When the erasure engine erases a person (whatever started it), it announces it
(erasure.signals.erasing_person) before their rows go: their requests still open are closed
(`close_requests_of_erased_person`) and a person erased at their own request is e-mailed the
certificate (`send_erasure_certificate`). A signal, not a poll: erasure sits below rights, the step
runs in every erasure's own transaction, and the address still exists only then.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import NoReturn

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access import actors
from access.actors import SystemActor, account_of, is_system_actor, require_actor
from access.capabilities import RIGHTS_PERMISSION, Capability, may, require
from access.errors import NotInYourScope
from access.roles import Role, holds_role
from accounts import services as account_services
from accounts import sms, verification
from accounts.models import User, VerificationPurpose
from accounts.validators import clean_name_text
from audit.recording import record_event
from consent import selectors as consent_selectors
from erasure import selectors as erasure_selectors
from erasure import services as erasure_services
from erasure.models import ErasureJob
from orgdata import validators
from orgdata.errors import ChildInformationDeleted, UnderWorkingAge
from orgdata.selectors import directory as directory_selectors
from orgdata.selectors import scope as scope_selectors
from orgdata.services import employees as employee_services
from orgdata.services import minors as minor_services
from rights import corrections, deadlines, inbox, selectors
from rights.models import PreDeathArrangement, ProtectionContact, RequestEvent, RightsRequest

# System work of this app, named where it acts.
RIGHTS_FULFILMENT = SystemActor("rights requests")  # copies, account cancellations, erasures
DEADLINE_WATCH = SystemActor("rights deadlines")  # escalation of requests near or past their due date
CONTACT_UPKEEP = SystemActor("protection contact upkeep")  # a contact who is no longer a sub-administrator

Kind = RightsRequest.Kind
Status = RightsRequest.Status
# R3: the grounds on which a person may ask for deletion.
DELETION_GROUNDS = {
    "purpose_achieved": gettext_lazy("The purpose has been achieved, cannot be achieved or no longer needs it"),
    "service_stopped": gettext_lazy("The enterprise stopped providing the product or service"),
    "retention_expired": gettext_lazy("The retention period has expired"),
    "consent_withdrawn": gettext_lazy("I withdrew my consent"),
    "unlawful_processing": gettext_lazy("It was processed in violation of law or of our agreement"),
}
AUTOMATED_DECISION_ACTIONS = ("explain", "object", "appeal")
# How the console shows a request's details: each key, and a coded value, in the reader's language.
DETAIL_LABELS = {
    "text": gettext_lazy("Complaint"), "field": gettext_lazy("Field to correct"),
    "note": gettext_lazy("Note"), "grounds": gettext_lazy("Grounds"),
    "irreversible_acknowledged": gettext_lazy("Knows it cannot be undone"), "action": gettext_lazy("Asks to"),
    "decision": gettext_lazy("Decision concerned"), "relative_name": gettext_lazy("Relative's name"),
    "relationship": gettext_lazy("Relationship"), "contact": gettext_lazy("Relative's contact"),
    "proof": gettext_lazy("Proof"), "proof_verified_by": gettext_lazy("Proof verified by (account)"),
    "date_of_death": gettext_lazy("Date of death"), "proof_verified_at": gettext_lazy("Proof verified on"),
    "override_reason": gettext_lazy("Disclosed against the deceased's arrangement, because"),
    "corrected": gettext_lazy("What was corrected"),
}
DETAIL_VALUES = {
    "grounds": DELETION_GROUNDS,
    "action": {"explain": gettext_lazy("explain the decision"), "object": gettext_lazy("object to the decision"),
               "appeal": gettext_lazy("appeal against the decision"), "access": gettext_lazy("access"),
               "copy": gettext_lazy("copy"), "correct": gettext_lazy("correct"), "delete": gettext_lazy("delete")},
    "irreversible_acknowledged": {True: gettext_lazy("yes")},
    "field": corrections.CORRECTABLE_FIELDS,
}


def shown_details(request: RightsRequest) -> list[tuple[str, object]]:
    """(label, value) of a request's details as the console shows them."""
    return [(DETAIL_LABELS.get(key, key), DETAIL_VALUES.get(key, {}).get(value, value))
            for key, value in (request.details or {}).items()]
NEXT_OF_KIN_ACTIONS = ("access", "copy", "correct", "delete")
# A request of the same kind within this window repeats it; this many within it are excessive.
REPEAT_WINDOW = timedelta(days=30)
EXCESSIVE_AFTER = 4
TEXT_LIMIT = 2000


# --- the individual ---------------------------------------------------------------------------

def submit_request(*, actor, kind: str, details: dict, password: str, code: str) -> RightsRequest:
    """The signed-in person (`actor`) asks for `kind` about themselves, verified first (R8).

    Refuses (ValidationError, field by field): a wrong password or code, an unknown kind, details
    the kind does not accept (each names its field), an account cancellation not acknowledged as
    irreversible, and the enterprise manager cancelling their account (hand the role over first).
    A next-of-kin request is recorded by an administrator (`record_next_of_kin_request`).
    """
    require_actor(actor)
    require(actor, Capability.USE_MOBILE_API)
    if kind not in Kind.values or kind == Kind.NEXT_OF_KIN:
        raise ValidationError({"kind": [_("Choose one of the requests listed.")]})
    try:
        details = _checked_details(kind, details or {})
    except corrections.StatesAMinor as finding:
        # M1/M2: verified like any request, then the person is protected as their profile would.
        _verify_identity(actor, password=password, code=code)
        _protect_minor(actor=actor, finding=finding, person=actor,
                       details={"field": "id_number", "note": str(details.get("note") or "")[:TEXT_LIMIT]})
    if kind == Kind.ACCOUNT_CANCELLATION and may(actor, Capability.HAND_OVER_MANAGER_ROLE):
        raise ValidationError({"kind": [_("Hand the enterprise manager role over before cancelling your account.")]})
    correct_value = details.pop("correct_value", "")
    _verify_identity(actor, password=password, code=code)
    with transaction.atomic():
        request = _create(person=actor, kind=kind, details=details, actor=actor, correct_value=correct_value)
    _after_submission(request)
    return request


def _verify_identity(person: User, *, password: str, code: str) -> None:
    # R8: the password re-entered and the one-time code sent by SMS to the account's mobile number
    # (accounts.verification; its refusals name the field). Called before the request's own
    # transaction, so a wrong answer still counts against the code.
    verification.check(person=person, purpose=VerificationPurpose.RIGHTS_REQUEST, password=password, code=code)


def _checked_details(kind: str, details: dict) -> dict:
    if not isinstance(details, dict):
        raise ValidationError({"details": [_("Give the details as an object.")]})

    def text(name: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
        value = details.get(name, "")
        if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
            raise ValidationError({f"details.{name}": [
                _("Required, as text of at most %(limit)s characters.") % {"limit": limit}]})
        return value.strip()

    def choice(name: str, allowed) -> str:
        value = details.get(name)
        if value not in allowed:
            raise ValidationError({f"details.{name}": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}]})
        return value

    if kind in (Kind.COPY, Kind.GENERATED):
        return {}
    if kind == Kind.CORRECTION:
        # R1: only the enterprise's records, each value checked by the address book's own validator.
        field = corrections.checked_field(text("field", limit=100))
        return {"field": field, "correct_value": corrections.checked_value(field, text("correct_value", limit=500)),
                "note": text("note", required=False)}
    if kind == Kind.DELETION:
        return {"grounds": choice("grounds", list(DELETION_GROUNDS)), "note": text("note", required=False)}
    if kind == Kind.ACCOUNT_CANCELLATION:
        if details.get("irreversible_acknowledged") is not True:
            raise ValidationError({"details.irreversible_acknowledged": [_(
                "Cancelling your account cannot be undone: your account is closed within 1 working day and "
                "your personal information erased within 7. Confirm that you understand.")]})
        return {"irreversible_acknowledged": True, "note": text("note", required=False)}
    if kind == Kind.AUTOMATED_DECISION:
        return {"action": choice("action", AUTOMATED_DECISION_ACTIONS), "decision": text("decision", limit=500),
                "note": text("note", required=False)}
    if kind == Kind.COMPLAINT:
        return {"text": text("text")}
    raise ValidationError({"kind": [_("Choose one of the requests listed.")]})


def _create(*, person: User, kind: str, details: dict, actor, correct_value: str = "") -> RightsRequest:
    now = timezone.now()
    earlier = RightsRequest.objects.filter(person=person, kind=kind, submitted_at__gte=now - REPEAT_WINDOW) \
        .exclude(status=Status.WITHDRAWN).order_by("-submitted_at")
    due_on, erase_by, estimated = deadlines.counted_due_dates(kind, timezone.localdate(now))
    request = RightsRequest.objects.create(
        person=person, person_key_id=person.person_key_id, kind=kind, details=details, correct_value=correct_value,
        due_on=due_on, erase_by=erase_by, dates_estimated=estimated,
        repeats=earlier.first(), repeated=earlier.exists(), excessive=earlier.count() + 1 >= EXCESSIVE_AFTER)
    # R7: a relative's request is recorded by an administrator; their proof is verified later.
    received = (_("Your request was received. It is due by %(due)s.") if kind == Kind.NEXT_OF_KIN
                else _("Your request was received and verified. It is due by %(due)s."))
    _step(request, "submitted", actor, received % {"due": due_on.isoformat()})
    if request.repeated:
        _step(request, "flagged_repeated", RIGHTS_FULFILMENT, "", tell=False)
    return request


def _after_submission(request: RightsRequest) -> None:
    from rights import tasks  # the task module imports this one

    if request.kind in (Kind.COPY, Kind.GENERATED):
        transaction.on_commit(lambda: tasks.build_copy.delay(request.pk))
    elif request.kind == Kind.ACCOUNT_CANCELLATION:
        # R5: the account is cancelled at once, then erased by the engine.
        cancel_account(actor=RIGHTS_FULFILMENT, request=request)
    elif request.kind == Kind.COMPLAINT:
        # R10: a complaint goes to the PI protection contact (the manager, when none is appointed).
        with transaction.atomic():
            for handler in _complaint_handlers():
                inbox.deliver(person=handler, request=request, topic=inbox.Topic.RIGHTS,
                              subject=_("A complaint was submitted (#%(id)s)") % {"id": request.pk},
                              body=_("A complaint is due to be answered by %(due)s.") % {"due": request.due_on.isoformat()},
                              link=f"/console/rights/{request.pk}/")


@transaction.atomic
def withdraw_request(*, actor, request: RightsRequest) -> RightsRequest:
    """The person withdraws their own open request. Refuses (NotPermitted, as not found) anyone else
    and (ValidationError) a request that is no longer open or an account cancellation (it is
    irreversible once made)."""
    require_actor(actor)
    request = _locked(request)
    if is_system_actor(actor) or request.person_id != actor.pk:
        raise RightsRequest.DoesNotExist
    if request.status != Status.SUBMITTED or request.kind == Kind.ACCOUNT_CANCELLATION:
        raise ValidationError({"status": [_("This request can no longer be withdrawn.")]})
    request.status = Status.WITHDRAWN
    request.save(update_fields=["status", "updated_at"])
    _step(request, "withdrawn", actor, _("You withdrew this request."))
    return request


@transaction.atomic
def record_arrangement(*, actor, instructions: str, relative_contact: str = "",
                       nothing_disclosed: bool = False) -> PreDeathArrangement:
    """R7: the person records (or replaces) what should happen to their information after death, and
    whether nothing may be disclosed to their relatives (honoured by `authorise`). Refuses
    (ValidationError) empty or over-long instructions."""
    require(actor, Capability.USE_MOBILE_API)
    if not (instructions or "").strip() or len(instructions) > TEXT_LIMIT:
        raise ValidationError({"instructions": [_("Required, as text of at most %(limit)s characters.")
                                                % {"limit": TEXT_LIMIT}]})
    if len(relative_contact or "") > 200:
        raise ValidationError({"relative_contact": [_("At most 200 characters.")]})
    arrangement, _created = PreDeathArrangement.objects.update_or_create(
        person=actor, defaults={"instructions": instructions.strip(), "relative_contact": (relative_contact or "").strip(),
                                "nothing_disclosed": bool(nothing_disclosed)})
    return arrangement


# --- the enterprise -----------------------------------------------------------------------------------

@transaction.atomic
def record_next_of_kin_request(*, actor, deceased: User, action: str, relative_name: str, relationship: str,
                               contact: str, proof: str) -> RightsRequest:
    """R7: an administrator records a close relative's request about a deceased person: what they
    ask, who they are, how to reach them (a mainland mobile number or an e-mail address, normalised)
    and the proof they presented. Nothing is done until the death is recorded and the proof verified
    on the request (`verify_next_of_kin_proof`). The deceased's own arrangement, if they recorded
    one, is shown with the request and prevails. Refuses (NotPermitted) an actor without
    HANDLE_RIGHTS_REQUESTS and (ValidationError) missing fields, an unknown action and a contact
    that is neither a mobile number nor an e-mail address."""
    require(actor, Capability.HANDLE_RIGHTS_REQUESTS)
    details = {"action": action, "relative_name": relative_name, "relationship": relationship,
               "contact": contact, "proof": proof}
    for name, value in details.items():
        if not isinstance(value, str) or not value.strip() or len(value) > 500:
            raise ValidationError({name: [_("Required, as text of at most 500 characters.")]})
    if action not in NEXT_OF_KIN_ACTIONS:
        raise ValidationError({"action": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(NEXT_OF_KIN_ACTIONS)}]})
    details = {name: value.strip() for name, value in details.items()}
    details["contact"] = relative_contact(details["contact"])
    return _create(person=deceased, kind=Kind.NEXT_OF_KIN, details=details, actor=actor)


def relative_contact(text: str) -> str:
    """R7: the relative's contact as the platform reaches it: a mainland mobile number (SMS) or an
    e-mail address, each in its canonical form (orgdata.validators). Refuses anything else
    (ValidationError on `contact`)."""
    text = (text or "").strip()
    try:
        return validators.normalize_email(text) if "@" in text else validators.normalize_mainland_mobile(text)
    except ValidationError:
        raise ValidationError({"contact": [_("Give the relative's mobile number or e-mail address.")]}) from None


@transaction.atomic
def verify_next_of_kin_proof(*, actor, request: RightsRequest, date_of_death, proof: str) -> RightsRequest:
    """R7: the administrator records the date of death and that they verified the proof the relative
    presented (what it was). Until then a relative's request cannot be authorised. Refuses
    (NotPermitted) an actor without HANDLE_RIGHTS_REQUESTS and (ValidationError) a request that is not
    an open relative's request, an invalid or future date, and an empty proof."""
    require(actor, Capability.HANDLE_RIGHTS_REQUESTS)
    request = _locked(request)
    if request.kind != Kind.NEXT_OF_KIN:
        raise ValidationError({"request": [_("Only a relative's request has a proof to verify.")]})
    _refuse_own_or_closed(actor, request)
    try:
        died_on = validators.parse_date(date_of_death)
        validators.validate_not_in_future(died_on)
    except ValidationError as error:
        raise ValidationError({"date_of_death": error.messages}) from None
    if not isinstance(proof, str) or not proof.strip() or len(proof) > 500:
        raise ValidationError({"proof": [_("Required, as text of at most 500 characters.")]})
    request.details = {**request.details, "date_of_death": died_on.isoformat(), "proof": proof.strip(),
                       "proof_verified_by": account_of(actor).pk,
                       "proof_verified_at": timezone.localdate().isoformat()}
    request.save(update_fields=["details", "updated_at"])
    _step(request, "proof_verified", actor, _("The proof you presented was verified."))
    return request


def death_recorded(request: RightsRequest) -> bool:
    """R7: whether the request records the date of death and the verified proof."""
    details = request.details or {}
    return bool(details.get("date_of_death") and details.get("proof_verified_by"))


def arrangement_of(person: User) -> PreDeathArrangement | None:
    return PreDeathArrangement.objects.filter(person=person).first()


def authorise(*, actor, request: RightsRequest, answer: str = "", corrected: str = "",
              override_reason: str = "") -> RightsRequest:
    """An administrator authorises a request and, with it, what it asks: a deletion (R3) or a
    relative's deletion (R7) runs the erasure engine; a relative's access or copy builds the
    deceased's copy in the background for the administrator to hand over; anything else is answered
    with `answer` (required), a relative's correction also saying what was `corrected`.

    Refuses (NotPermitted) an actor without HANDLE_RIGHTS_REQUESTS and (ValidationError) a request
    that is not open, an answer missing where one is needed, authorising one's own request, a
    relative's request before the death is recorded and its proof verified, and disclosing to a
    relative what the deceased asked never to be disclosed without an `override_reason`.

    M1/M2: a correction whose ID number states an age under 16 is not applied: the person is
    protected as when their profile says so and the request closed (`_protect_minor`, which raises
    ChildInformationDeleted or UnderWorkingAge once that is committed).
    """
    try:
        return _authorise(actor=actor, request=request, answer=answer, corrected=corrected,
                          override_reason=override_reason)
    except corrections.StatesAMinor as finding:
        # Outside the authorisation's transaction, which wrote nothing: the protection must stay done.
        _protect_minor(actor=actor, finding=finding, request=request)


@transaction.atomic
def _authorise(*, actor, request: RightsRequest, answer: str, corrected: str, override_reason: str) -> RightsRequest:
    require(actor, Capability.HANDLE_RIGHTS_REQUESTS)
    request = _locked(request)
    _refuse_own_or_closed(actor, request)
    if request.kind in (Kind.COPY, Kind.GENERATED, Kind.ACCOUNT_CANCELLATION):
        raise ValidationError({"request": [_("This request is carried out by the platform itself; it can only be refused.")]})
    if request.kind == Kind.CORRECTION and request.correct_value:
        # (A correction recorded before values were held, without one, is answered in writing.)
        return _correct(actor=actor, request=request, answer=answer)
    action = request.details.get("action") if request.kind == Kind.NEXT_OF_KIN else ""
    erases = request.kind == Kind.DELETION or action == "delete"
    discloses = action in ("access", "copy")
    if not (erases or discloses) and not (answer or "").strip():
        raise ValidationError({"answer": [_("Write the answer the person will read.")]})
    if len(answer or "") > TEXT_LIMIT:
        raise ValidationError({"answer": [_("At most %(limit)s characters.") % {"limit": TEXT_LIMIT}]})
    if request.kind == Kind.NEXT_OF_KIN:
        _check_next_of_kin(request, action=action, corrected=corrected, override_reason=override_reason)
    request.answer, request.decided_by, request.decided_at = (answer or "").strip(), account_of(actor), timezone.now()
    if erases:
        job = erasure_services.erase_person(actor=actor, person=request.person,
                                            reason=f"rights request #{request.pk} ({request.kind})")
        request.erasure_job = job
        request.status = Status.IN_PROGRESS
        event = "authorised"
        message = (_("Your request was authorised; the deceased's personal information is being erased.") if action
                   else _("Your request was authorised; your personal information is being erased."))
    elif discloses:
        from rights import tasks  # the task module imports this one

        request.status = Status.IN_PROGRESS
        event = "authorised"
        message = _("Your request was authorised; the copy is being prepared and the enterprise will hand it "
                    "over to you.")
        transaction.on_commit(lambda: tasks.build_copy.delay(request.pk))
    else:
        request.status = Status.DONE
        event = "answered"
        message = _("Your request was answered: %(answer)s") % {"answer": request.answer}
    request.save(update_fields=["answer", "details", "decided_by", "decided_at", "erasure_job", "status",
                                "updated_at"])
    if request.details.get("override_reason"):
        _step(request, "arrangement_overridden", actor, request.details["override_reason"], tell=False)
    _step(request, event, actor, message)
    return request


def _correct(*, actor, request: RightsRequest, answer: str) -> RightsRequest:
    """R1/R8: the correction is made through the address book's own edit (`update_employee`, scoped and
    checked as in the console) with the administrator as actor; the history and the audit log name
    the field, never the value."""
    if len(answer or "") > TEXT_LIMIT:
        raise ValidationError({"answer": [_("At most %(limit)s characters.") % {"limit": TEXT_LIMIT}]})
    field = request.details["field"]
    try:
        employee = directory_selectors.own_employee_record(request.person)
        if field == "id_number":
            # M1/M2: within the actor's reach (E5), checked again on today's date: StatesAMinor leaves the
            # transaction before anything is written (`authorise` protects the person outside it).
            scope_selectors.employee_visible_to(actor, employee.pk)
            corrections.checked_value(field, request.correct_value)
        employee_services.update_employee(actor=actor, employee=employee, changes=corrections.changes_of(request))
    except ValidationError as refusal:
        # Checked on submission; what changed since (the number taken by someone else, a department
        # outside the actor's) is said on the request, never a stack trace.
        raise ValidationError({"request": refusal.messages}) from None
    except NotInYourScope:
        # E5: a PI protection contact edits only the records of their own departments.
        raise ValidationError({"request": [_("This person's record is outside your departments: the manager "
                                             "makes this correction.")]}) from None
    label = corrections.CORRECTABLE_FIELDS[field]
    request.answer, request.decided_by, request.decided_at = (answer or "").strip(), account_of(actor), timezone.now()
    request.status = Status.DONE
    request.save(update_fields=["answer", "decided_by", "decided_at", "status", "updated_at"])
    message = _("Your %(field)s was corrected.") % {"field": label}
    if request.answer:
        message = f"{message} {request.answer}"
    _step(request, "corrected", actor, message)
    record_event(action="correction_applied", object_type=RightsRequest._meta.label_lower, object_id=request.pk,
                 changed_fields=[field])
    return request


def _protect_minor(*, actor, finding: corrections.StatesAMinor, person: User | None = None,
                   details: dict | None = None, request: RightsRequest | None = None) -> NoReturn:
    """M1/M2: a correction (a new one of `person` with `details`, or `request` being authorised)
    asks for an ID number stating an age under 16. Exactly what the profile screen does
    (orgdata.services.minors): nothing of the value is stored; a child under 14 is disabled and
    erased at once, someone of 14 or 15 disabled with a case for the manager, each in its own
    transaction. Then the request is closed ("closed_under_age", the rule as its recorded reason)
    and the person told. Raises ChildInformationDeleted or UnderWorkingAge; on the manager's own
    record only the refusal (ValidationError: erasure would leave the enterprise without them)."""
    person = request.person if request is not None else person
    field_errors = finding.refusal.message_dict.get("id_number") or finding.refusal.messages
    employee = directory_selectors.own_employee_record(person)
    if not minor_services.may_protect(employee):
        raise ValidationError({"request" if request is not None else "details.correct_value": field_errors})
    try:
        if finding.is_child:
            minor_services.erase_child(employee=employee, refusal=finding.refusal)
        minor_services.disable_under_working_age(employee=employee, refusal=finding.refusal)
    except (ChildInformationDeleted, UnderWorkingAge) as protected:
        reason = (_("The ID number you asked for states an age under 14: information of children under 14 cannot "
                    "be collected. It was not stored; your account was disabled and your information is being "
                    "deleted.") if finding.is_child
                  else _("The ID number you asked for states an age under 16, the legal working age: no account, even "
                         "with a guardian's consent. It was not stored; your account was disabled and the enterprise "
                         "manager verifies the case."))
        with transaction.atomic():
            if request is None:
                request = _create(person=person, kind=Kind.CORRECTION, details=details or {}, actor=actor)
            request = _locked(request)
            if request.is_open:
                request.status, request.answer = Status.CLOSED_UNDER_AGE, reason
                request.decided_at = timezone.now()
                request.decided_by = None if is_system_actor(actor) or request.person_id == actor.pk else account_of(actor)
                request.correct_value = ""
                request.save(update_fields=["status", "answer", "decided_at", "decided_by", "correct_value",
                                            "updated_at"])
                _step(request, "closed_under_age", actor, reason)
        raise protected
    raise AssertionError("the minors rules returned without protecting the person")  # pragma: no cover


def _check_next_of_kin(request: RightsRequest, *, action: str, corrected: str, override_reason: str) -> None:
    # R7: a relative's request is acted on only once the death is recorded and the proof verified.
    if not death_recorded(request):
        raise ValidationError({"proof": [_("Record the date of death and verify the proof first.")]})
    if action == "correct":
        if not (corrected or "").strip() or len(corrected) > TEXT_LIMIT:
            raise ValidationError({"corrected": [_("Record what was corrected (at most %(limit)s characters).")
                                                 % {"limit": TEXT_LIMIT}]})
        request.details = {**request.details, "corrected": corrected.strip()}
    arrangement = arrangement_of(request.person)
    # R7: the deceased's own arrangement prevails: "disclose nothing" is set aside only for a reason
    # the administrator records.
    if action in ("access", "copy") and arrangement is not None and arrangement.nothing_disclosed:
        if not (override_reason or "").strip() or len(override_reason) > TEXT_LIMIT:
            raise ValidationError({"override_reason": [_(
                "The deceased asked that nothing be disclosed to relatives. Record why it is disclosed anyway.")]})
        request.details = {**request.details, "override_reason": override_reason.strip()}


@transaction.atomic
def refuse(*, actor, request: RightsRequest, reason: str = "", legal_exception: str = "",
           explanation: str) -> RightsRequest:
    """Refuse a request for one of the listed reasons (R8) or because a legal exception applies
    (R9), always with a written explanation the person reads.

    Refuses (NotPermitted) an actor without HANDLE_RIGHTS_REQUESTS and (ValidationError) neither or
    both of a reason and an exception, one not in its list, an empty explanation, a request that is
    not open, one's own request, and an account cancellation (R5: it is not refused; it is done).
    """
    require(actor, Capability.HANDLE_RIGHTS_REQUESTS)
    request = _locked(request)
    _refuse_own_or_closed(actor, request)
    if request.kind == Kind.ACCOUNT_CANCELLATION:
        raise ValidationError({"reason": [_("An account cancellation is carried out, not refused.")]})
    if bool(reason) == bool(legal_exception):
        raise ValidationError({"reason": [_("Choose either one of the listed reasons or a legal exception.")]})
    if reason and reason not in RightsRequest.RefusalReason.values:
        raise ValidationError({"reason": [_("Choose one of the listed reasons.")]})
    if legal_exception and legal_exception not in RightsRequest.LegalException.values:
        raise ValidationError({"legal_exception": [_("Choose one of the listed legal exceptions.")]})
    if not (explanation or "").strip() or len(explanation) > TEXT_LIMIT:
        raise ValidationError({"explanation": [_("Explain the refusal to the person (at most %(limit)s characters).")
                                               % {"limit": TEXT_LIMIT}]})
    request.status, request.refusal_reason, request.legal_exception = Status.REFUSED, reason, legal_exception
    request.refusal_explanation, request.decided_by, request.decided_at = explanation.strip(), account_of(actor), timezone.now()
    request.save(update_fields=["status", "refusal_reason", "legal_exception", "refusal_explanation",
                                "decided_by", "decided_at", "updated_at"])
    label = (RightsRequest.RefusalReason(reason).label if reason
             else RightsRequest.LegalException(legal_exception).label)
    _step(request, "refused", actor, _("Your request was refused (%(why)s): %(explanation)s")
          % {"why": label, "explanation": request.refusal_explanation})
    return request


def _refuse_own_or_closed(actor, request: RightsRequest) -> None:
    if not is_system_actor(actor) and request.person_id == actor.pk:
        raise ValidationError({"request": [_("Someone else must decide your own request.")]})
    if request.status != Status.SUBMITTED:
        # In progress (an erasure running, a copy being built) or closed: decided already.
        raise ValidationError({"request": [_("This request has already been decided.")]})


# --- system work ----------------------------------------------------------------------------------------

def cancel_account(*, actor, request: RightsRequest) -> RightsRequest:
    """R5: close the person's account at once (every token and session ends, sign-in refused) and
    start the erasure engine; the request is done when the job is. Refuses (NotPermitted) an actor
    without ERASE_PERSON for the person."""
    require(actor, Capability.ERASE_PERSON, target=request.person)
    with transaction.atomic():
        request = _locked(request)
        person = request.person
        account_services.disable_account(actor=actor, person=person)
        job = erasure_services.erase_person(actor=actor, person=person,
                                            reason=f"rights request #{request.pk} (account cancellation)")
        request.status, request.erasure_job = Status.IN_PROGRESS, job
        request.save(update_fields=["status", "erasure_job", "updated_at"])
        _step(request, "account_cancelled", actor,
              _("Your account is cancelled; your personal information is being erased."))
    return request


def finish_copy(*, actor, request: RightsRequest) -> RightsRequest:
    """R2: the copy (or the information generated in use) is ready: built by rights.copy_archive,
    the person is told they can download it. R7: a relative's authorised access or copy: the
    deceased's copy is ready for the administrator who authorised it (a message in their inbox
    pointing to the request's console page) and the relative is told the enterprise will hand it
    over. A request not waiting for its copy is left as it is. Refuses a missing actor."""
    from rights import copy_archive

    require_actor(actor)
    request = RightsRequest.objects.get(pk=request.pk)
    if request.status != _WAITING_FOR_COPY.get(request.kind):
        return request
    copy_archive.fulfil(request=request)
    with transaction.atomic():
        request = _locked(request)
        request.status = Status.DONE
        request.save(update_fields=["status", "updated_at"])
        if request.kind == Kind.NEXT_OF_KIN:
            _step(request, "ready", actor, _("The copy is ready; the enterprise will hand it over to you."))
            _tell_administrator_copy_ready(request)
        else:
            _step(request, "ready", actor, _("Your copy is ready to download until %(until)s.")
                  % {"until": timezone.localtime(request.result_expires_at).strftime("%Y-%m-%d %H:%M")})
    return request


# A copy is built for the person's own request as soon as it is submitted, for a relative's once an
# administrator authorised it (R7).
_WAITING_FOR_COPY = {Kind.COPY: Status.SUBMITTED, Kind.GENERATED: Status.SUBMITTED, Kind.NEXT_OF_KIN: Status.IN_PROGRESS}


def _tell_administrator_copy_ready(request: RightsRequest) -> None:
    from django.urls import reverse

    if request.decided_by is None:
        return
    inbox.deliver(person=request.decided_by, topic=inbox.Topic.RIGHTS, request=request,
                  link=reverse("rights-console:request", kwargs={"pk": request.pk}),
                  subject=_("A relative's copy is ready: request #%(id)s") % {"id": request.pk},
                  body=_("The deceased person's copy for request #%(id)s is ready to download from the request's "
                         "page until %(until)s, to hand over to the relative.")
                  % {"id": request.pk,
                     "until": timezone.localtime(request.result_expires_at).strftime("%Y-%m-%d %H:%M")})


def copies_waiting(*, older_than: timedelta = timedelta(minutes=10)) -> list[int]:
    """Copy requests submitted (or, a relative's, authorised) a while ago and not built yet (their
    task was lost)."""
    waiting = (Q(kind__in=[Kind.COPY, Kind.GENERATED], status=Status.SUBMITTED)
               | Q(kind=Kind.NEXT_OF_KIN, status=Status.IN_PROGRESS, details__action__in=["access", "copy"]))
    return list(RightsRequest.objects.filter(waiting, updated_at__lt=timezone.now() - older_than)
                .values_list("pk", flat=True))


def finish_erasures(*, actor) -> int:
    """Mark done every request whose erasure job finished (the person is a tombstone by now; the
    request remains as the proof, R5). Returns how many were finished."""
    require_actor(actor)
    finished = 0
    for request in RightsRequest.objects.filter(status=Status.IN_PROGRESS, erasure_job__status=ErasureJob.Status.DONE):
        RightsRequest.objects.filter(pk=request.pk).update(status=Status.DONE, updated_at=timezone.now())
        _step(request, "erased", actor, "", tell=False)
        finished += 1
    return finished


def close_requests_of_erased_person(sender=None, *, job: ErasureJob, person: User, **kwargs) -> int:
    """Receiver of erasure.signals.erasing_person: the person's requests still open, but the one
    that started this erasure, are closed (nothing is left to act on), each with a
    "closed_by_erasure" step in its history (by this app's system actor; the person is not told:
    they are being erased). Idempotent. Returns how many were closed."""
    # Lock order: the erasure step holds the person's row; the requests' rows, then the audit-chain
    # head (their history's audit entries) come after it.
    closing = (RightsRequest.objects.select_for_update()
               .filter(person=person, status__in=[Status.SUBMITTED, Status.IN_PROGRESS])
               .exclude(erasure_job=job))
    closed = 0
    for request in closing:
        request.status = Status.CLOSED
        request.save(update_fields=["status", "updated_at"])
        _step(request, "closed_by_erasure", RIGHTS_FULFILMENT, "", tell=False)
        closed += 1
    return closed


# R3/R5: the kinds by which a person asks for their own erasure; they are sent its certificate.
OWN_ERASURE_KINDS = (Kind.DELETION, Kind.ACCOUNT_CANCELLATION)


def send_erasure_certificate(sender=None, *, job: ErasureJob, person: User, **kwargs) -> bool:
    """Receiver of erasure.signals.erasing_person: a person erased at their own request (deletion or
    account cancellation) is e-mailed the erasure certificate (erasure.selectors) and the status of
    every deletion notice to the recipients their information went to (R3), while their address
    still exists; the request's history says it was sent ("certificate_sent"). Nothing is sent for
    an erasure they did not ask for, or when no address is known. Sent once the step commits (a step
    that did not commit runs again, and so does this). Returns whether it was sent."""
    request = (RightsRequest.objects.select_for_update()
               .filter(erasure_job=job, person=person, kind__in=OWN_ERASURE_KINDS).first())
    if request is None:
        return False
    address = inbox.email_of(person)
    if not address:
        return False
    certificate = {**erasure_selectors.erasure_certificate(job), "recipient_notices": [
        {"recipient": notice.recipient.code, "status": notice.status,
         "delivered_at": notice.delivered_at.isoformat() if notice.delivered_at else None}
        for notice in consent_selectors.deletion_notices_of(person)]}
    subject = _("The certificate of the erasure of your personal information")
    lines = [_("As you asked (request #%(id)s), your personal information is being erased. The attached "
               "certificate records each step of the erasure and what is kept by law, and until when.")
             % {"id": request.pk}, ""]
    lines += [_("Recipients told to delete your information:")] if certificate["recipient_notices"] else \
        [_("Your information was not shared with any recipient.")]
    lines += [f"- {notice['recipient']}: {notice['status']}" for notice in certificate["recipient_notices"]]
    message = EmailMessage(subject, "\n".join(lines) + "\n", to=[address])
    message.attach(f"erasure-certificate-{job.pk}.json",
                   json.dumps(certificate, ensure_ascii=False, indent=2), "application/json")
    transaction.on_commit(lambda: message.send(fail_silently=True))
    _step(request, "certificate_sent", RIGHTS_FULFILMENT, "", tell=False)
    return True


def escalate_due_requests(*, actor, today=None) -> int:
    """Requests still open within 2 working days of their watched date (the due date, or R5's
    erasure date), or past it, are escalated to everyone who handles requests: a message in their
    inbox quoting that date. A request is escalated once when it comes near ("near") and once more
    when it is past its date ("overdue"; at once if it is already past when first seen). Returns how
    many escalations were made."""
    require_actor(actor)
    today = today or timezone.localdate()
    horizon = deadlines.escalation_horizon(today)
    handlers = _handlers()
    escalated = 0
    Level = RightsRequest.Escalation
    # An account cancellation is due twice (R5): the account at once (done on submission), the
    # information by `erase_by`, which is what is watched.
    watched = RightsRequest.objects.annotate(watched_on=Coalesce("erase_by", "due_on"))
    due = watched.filter(status__in=[Status.SUBMITTED, Status.IN_PROGRESS], watched_on__lte=horizon).filter(
        Q(escalation_level="") | Q(escalation_level=Level.NEAR, watched_on__lt=today))
    for request in due:
        level = Level.OVERDUE if request.watched_on < today else Level.NEAR
        with transaction.atomic():
            RightsRequest.objects.filter(pk=request.pk).update(escalated_at=timezone.now(), escalation_level=level)
            _step(request, "escalated" if level == Level.NEAR else "escalated_overdue", actor, "", tell=False)
            subject = (_("A rights request is due on %(due)s") if level == Level.NEAR
                       else _("A rights request is overdue since %(due)s"))
            body = (_("%(kind)s #%(id)s is due on %(due)s and still open.") if level == Level.NEAR
                    else _("%(kind)s #%(id)s was due on %(due)s and is still open."))
            words = {"kind": request.get_kind_display(), "id": request.pk, "due": request.watched_on.isoformat()}
            for handler in handlers:
                inbox.deliver(person=handler, request=request, topic=inbox.Topic.RIGHTS, subject=subject % words,
                              body=body % words, link=f"/console/rights/{request.pk}/")
        escalated += 1
    return escalated


def recount_estimated_dates(*, actor) -> int:
    """Open requests whose dates were counted Monday to Friday (`dates_estimated`: the official
    calendar did not cover their year yet) are recounted once the installed calendar covers it: the
    new dates are stored, the request's history says so, and the person is told the date it is now
    due by. Returns how many were recounted."""
    require_actor(actor)
    recounted = 0
    for request in RightsRequest.objects.filter(status__in=[Status.SUBMITTED, Status.IN_PROGRESS],
                                                dates_estimated=True):
        submitted_on = timezone.localdate(request.submitted_at)
        if not deadlines.covered(request.kind, submitted_on):
            continue
        with transaction.atomic():
            request = _locked(request)
            due_on, erase_by, estimated = deadlines.counted_due_dates(request.kind, submitted_on)
            changed = (due_on, erase_by) != (request.due_on, request.erase_by)
            request.due_on, request.erase_by, request.dates_estimated = due_on, erase_by, estimated
            request.save(update_fields=["due_on", "erase_by", "dates_estimated", "updated_at"])
            _step(request, "dates_recounted", actor,
                  _("The official holiday calendar is now published: your request is due by %(due)s.")
                  % {"due": (erase_by or due_on).isoformat()} if changed else "", tell=changed)
        recounted += 1
    return recounted


def _handlers() -> list[User]:
    """Everyone who handles requests, the PI protection contact first (R10), then the manager."""
    contact = selectors.protection_contact()
    others = [user for user in User.objects.filter(is_active=True).exclude(role=User.Role.EMPLOYEE).order_by("pk")
              if may(user, Capability.HANDLE_RIGHTS_REQUESTS) and (contact is None or user.pk != contact.person_id)]
    return ([contact.person] if contact else []) + others


def _complaint_handlers() -> list[User]:
    """R10: the PI protection contact, or the manager when none is appointed."""
    contact = selectors.protection_contact()
    return [contact.person] if contact else list(User.objects.filter(is_active=True, role=User.Role.MANAGER))


# --- the personal-information protection contact (R10) -------------------------------------------------

def _handling_permission() -> Permission:
    app_label, codename = RIGHTS_PERMISSION.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def appoint_protection_contact(*, actor, person: User, contact_channel: str) -> ProtectionContact:
    """R10: the manager appoints a sub-administrator as the enterprise's personal-information
    protection contact, published to employees with `contact_channel`. They are granted
    HANDLE_RIGHTS_REQUESTS (the catalogue's permission); a previous contact loses it. Refuses
    (NotPermitted) anyone but the manager and (ValidationError) someone who is not an active
    sub-administrator or an empty or over-long channel."""
    require(actor, Capability.ADMINISTER_ADMINISTRATORS)
    # Enterprise before person (STYLE: locks in one order): the contact's slot, then the account.
    previous = ProtectionContact.objects.select_for_update().select_related("person").first()
    person = User.objects.select_for_update().get(pk=person.pk)
    if not person.is_active or not holds_role(person, Role.SUB_ADMIN):
        raise ValidationError({"person": [_("Choose an active sub-administrator.")]})
    channel = clean_name_text(contact_channel)
    if not channel or len(channel) > 200:
        raise ValidationError({"contact_channel": [_("Required, as text of at most %(limit)s characters.")
                                                   % {"limit": 200}]})
    permission = _handling_permission()
    if previous is not None and previous.person_id != person.pk:
        _withdraw_handling(previous.person, permission)
    contact, _created = ProtectionContact.objects.update_or_create(
        slot=1, defaults={"person": person, "contact_channel": channel, "appointed_by": account_of(actor)})
    person.user_permissions.add(permission)
    record_event(action="capability_granted", object_type=User._meta.label_lower, object_id=person.pk,
                 changed_fields=[RIGHTS_PERMISSION])
    return contact


@transaction.atomic
def remove_protection_contact(*, actor) -> None:
    """R10: the manager removes the contact (until another is appointed, complaints go to the
    manager); they lose HANDLE_RIGHTS_REQUESTS. Refuses (NotPermitted) anyone but the manager."""
    require(actor, Capability.ADMINISTER_ADMINISTRATORS)
    contact = ProtectionContact.objects.select_for_update().select_related("person").first()
    if contact is None:
        return
    _withdraw_handling(contact.person, _handling_permission())
    contact.delete()


def end_appointment_of_former_administrator(*, actor, person: User) -> bool:
    """R10: `person` is no longer an administrator (made a plain employee): if they were the
    protection contact, they stop being it and lose HANDLE_RIGHTS_REQUESTS, so that appointing them
    a sub-administrator again does not silently give the queue back. Returns whether they were."""
    require_actor(actor)
    contact = ProtectionContact.objects.select_for_update().filter(person=person).first()
    if contact is None:
        return False
    _withdraw_handling(person, _handling_permission())
    contact.delete()
    return True


def _withdraw_handling(person: User, permission: Permission) -> None:
    person.user_permissions.remove(permission)
    record_event(action="capability_withdrawn", object_type=User._meta.label_lower, object_id=person.pk,
                 changed_fields=[RIGHTS_PERMISSION])


# --- history and telling the person -------------------------------------------------------------------

def _locked(request: RightsRequest) -> RightsRequest:
    return RightsRequest.objects.select_for_update().select_related("person").get(pk=request.pk)


def _step(request: RightsRequest, event: str, actor, message: str, *, tell: bool = True) -> None:
    RequestEvent.objects.create(request=request, event=event, actor=account_of(actor), actor_label=actors.label(actor),
                                note=message)
    if tell and message:
        if request.kind == Kind.NEXT_OF_KIN:
            tell_relative(request=request, message=message)
        else:
            tell_person(request=request, message=message)


def tell_person(*, request: RightsRequest, message: str) -> None:
    """Every change of a request reaches its person: a message in their inbox, and an e-mail where
    the enterprise knows their address (rights.inbox)."""
    subject = _("Your request: %(kind)s") % {"kind": request.get_kind_display()}
    inbox.deliver(person=request.person, subject=subject, body=message, topic=inbox.Topic.RIGHTS, request=request)


def tell_relative(*, request: RightsRequest, message: str) -> None:
    """R7: a relative's request is about a deceased person, never told in the deceased's inbox: the
    relative is told through the contact they gave, by e-mail (the message) or by SMS (the request's
    number and status, as the provider's approved template words it). An SMS the provider does not
    take is a "relative_not_reached" step the administrator sees."""
    contact = (request.details or {}).get("contact", "")
    if "@" in contact:
        subject = _("Your request #%(id)s about a deceased relative") % {"id": request.pk}
        transaction.on_commit(lambda: send_mail(subject, message, None, [contact], fail_silently=True))
        return
    try:
        sms.send_sms(person=request.person, mobile=contact, message_kind="next_of_kin_update",
                     params={"request": request.pk, "status": request.get_status_display()})
    except sms.SmsNotSent:
        RequestEvent.objects.create(request=request, event="relative_not_reached", actor_label=_label(RIGHTS_FULFILMENT))
