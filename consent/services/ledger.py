"""The consent ledger (C3, C6, C8): every answer a person gives, appended to their hash-chained
events, and every disclosure made to a recipient (C9, C11), recorded with what was handed over.
"""
from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import account_of, is_system_actor
from access.capabilities import Capability, require
from audit.chain import lock_person
from consent import gate, state_cache
from consent import signals as consent_signals
from consent.errors import ConsentRequired
from consent.models import ApplicationAudience, ConsentEvent, Disclosure, LegalBasisRecord, Purpose, Recipient
from consent.services import guardians as guardian_services
from policies import selectors as policy_selectors


def _append_event(*, actor, person, action: str, channel: str, device_id: str = "", ip_address: str | None = None,
                  purpose: Purpose | None = None, policy_version=None, request_reference: str = "") -> ConsentEvent:
    """Append one answer to `person`'s chain, recorded by `actor` (the person answering in the app,
    the administrator recording an answer given on request, or a system actor).

    An answer on request (C6) names the administrator who recorded it: system work cannot record
    one, and the administrator must hold RECORD_CONSENT_ON_REQUEST for this person.
    """
    recorded_by = account_of(actor)  # refuses a missing actor
    if channel not in ConsentEvent.Channel.values:
        raise ValidationError({"channel": [_("Unknown channel.")]})
    if channel == ConsentEvent.Channel.ADMIN_ON_REQUEST:
        if is_system_actor(actor):
            raise ValidationError({"recorded_by": [_("Say which administrator recorded the answer.")]})
        require(actor, Capability.RECORD_CONSENT_ON_REQUEST, target=person)
    request_reference = (request_reference or "").strip()
    if channel == ConsentEvent.Channel.ADMIN_ON_REQUEST and not request_reference:
        raise ValidationError({"request_reference": [_("Give the reference of the person's request.")]})
    # The person's events form a chain; lock the person's row so two answers cannot fork it. Lock
    # order: the person's row before the audit-chain head, so before anything audited is written
    # in this transaction (lock_person refuses otherwise); the event below is audited.
    lock_person(person.pk, exclusive=True)
    previous = ConsentEvent.objects.filter(person=person).order_by("-id").values_list("digest", flat=True).first() or ""
    in_force = policy_version or policy_selectors.version_in_force()
    now = timezone.now()
    content = {
        "schema": connection.schema_name, "person": person.pk, "action": action,
        "purpose": purpose.code if purpose else None, "revision": purpose.revision if purpose else None,
        "policy": in_force.id if in_force else None, "channel": channel, "device": device_id or "",
        "ip": ip_address or "", "at": now.isoformat(), "previous": previous,
    }
    if request_reference:  # only then, so digests of events without one are computed as before
        content["reference"] = request_reference
    event = ConsentEvent.objects.create(
        person=person, purpose=purpose, purpose_revision=purpose.revision if purpose else None, action=action,
        policy_version_id=in_force.id if in_force else None,
        policy_version_label=in_force.version if in_force else "", channel=channel,
        device_id=(device_id or "")[:128], ip_address=ip_address or None, recorded_by=recorded_by,
        request_reference=request_reference[:200], occurred_at=now, previous_digest=previous,
        digest=hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest(),
    )
    # Forgets now and queues the forget after commit itself (a reader that read the ledger before
    # the commit may have cached the old state meanwhile).
    state_cache.forget_person(person.pk)
    return event


def additional_purpose(code: str) -> Purpose:
    """The active additional purpose `code` names; refuses an unknown or inactive one and a basic one."""
    purpose = Purpose.objects.select_related("recipient").filter(code=code, is_active=True).first()
    if purpose is None:
        raise ValidationError({"purpose": [_("No such purpose.")]})
    if purpose.is_basic:
        raise ValidationError({"purpose": [_("Basic services need no separate consent.")]})
    return purpose


@transaction.atomic
def grant_consent(*, actor, person, purpose_code: str, channel: str, device_id: str = "",
                  ip_address: str | None = None, explicit_confirmation: bool = False,
                  request_reference: str = "") -> ConsentEvent:
    """The person consents to one additional purpose (C3: each asked for separately).

    Sensitive, sharing and public-disclosure purposes need `explicit_confirmation` (C2, C9, C11):
    the person confirmed this purpose on its own. Refuses basic and unknown purposes, a purpose
    whose required permission (e.g. location for tracking) is not given yet, and (M1) while the
    person is a minor, a purpose their guardian's consent does not list (GuardianConsentRequired). For a third-party
    application already switched on for the person, the disclosure happens now and is recorded.
    `actor` is the person answering in the app, or the administrator recording an answer the
    person gave on request (channel "admin_on_request": refused unless they hold
    RECORD_CONSENT_ON_REQUEST for this person, and for system work).
    """
    purpose = additional_purpose(purpose_code)
    # M1: every grant passes here, so this is the one place a minor's own consent is checked
    # against their guardian's.
    guardian_services.check_guardian_consent_covers(person=person, purpose=purpose)
    if purpose.needs_explicit_confirmation and not explicit_confirmation:
        raise ValidationError({"explicit_confirmation": [
            _("Sensitive information and sharing need your separate, explicit confirmation.")]})
    for required in purpose.requires:
        if not gate.may_process(person, required):
            raise ConsentRequired(_("Give the permission this needs first."),
                                  extra={"purpose": purpose_code, "missing": [required]})
    event = _append_event(actor=actor, person=person, action=ConsentEvent.Action.GRANTED, purpose=purpose,
                          channel=channel, device_id=device_id, ip_address=ip_address,
                          request_reference=request_reference)
    if purpose.kind == Purpose.Kind.SHARING and purpose.recipient_id:
        application_code = purpose.recipient.code.removeprefix("app.")
        if purpose.recipient.kind == Recipient.Kind.THIRD_PARTY_APPLICATION and ApplicationAudience.objects.filter(
                application_code=application_code, person=person, is_enabled=True).exists():
            record_disclosure(actor=actor, person=person, purpose=purpose, event=event,
                              occasion=Disclosure.Occasion.CONSENT_GIVEN)
    return event


@transaction.atomic
def withdraw_consent(*, actor, person, purpose_code: str, channel: str, device_id: str = "",
                     ip_address: str | None = None, request_reference: str = "") -> ConsentEvent:
    """C6: the person withdraws consent; dependent processing stops at the very next request.

    Past events and data processed before the withdrawal are kept (the ledger is append-only).
    Withdrawing a permission also stops the purposes that require it (the gate checks both).
    What is held only under the purpose is deleted in this transaction by the receivers of
    consent.signals.consent_withdrawn (C5: the enrolled face).
    `actor` as for grant_consent (an answer on request is refused to anyone but an administrator
    holding RECORD_CONSENT_ON_REQUEST for this person).
    """
    purpose = additional_purpose(purpose_code)
    event = _append_event(actor=actor, person=person, action=ConsentEvent.Action.WITHDRAWN, purpose=purpose,
                          channel=channel, device_id=device_id, ip_address=ip_address,
                          request_reference=request_reference)
    # C5/C6: what is held only under this consent goes in this transaction (attendance: the face).
    consent_signals.consent_withdrawn.send(sender=Purpose, actor=actor, person=person, purpose_code=purpose.code)
    return event


@transaction.atomic
def accept_policy(*, actor, person, version_label: str, channel: str, device_id: str = "",
                  ip_address: str | None = None) -> ConsentEvent:
    """C8: the person accepts a published policy version (the current or an upcoming one);
    `actor` is the person themselves (or a system actor)."""
    version = policy_selectors.published_version(version_label)
    if version is None:
        raise ValidationError({"version": [_("No published policy version with this label.")]})
    return _append_event(actor=actor, person=person, action=ConsentEvent.Action.POLICY_ACCEPTED, policy_version=version,
                         channel=channel, device_id=device_id, ip_address=ip_address)


def record_disclosure(*, actor, person, purpose: Purpose, event: ConsentEvent | None, occasion: str,
                      legal_basis_record: LegalBasisRecord | None = None) -> Disclosure:
    """Hand the recipient exactly the purpose's PI types and record it (field names, never values),
    naming `actor` as the discloser (nobody for system work). The caller has checked the consent or
    legal basis it discloses under."""
    pi_types = list(purpose.recipient.pi_types) if purpose.recipient_id else []
    return Disclosure.objects.create(
        person=person, recipient=purpose.recipient, purpose=purpose, purpose_revision=purpose.revision,
        pi_types=pi_types, occasion=occasion, consent_event=event, legal_basis_record=legal_basis_record,
        disclosed_by=account_of(actor), disclosed_at=timezone.now())
