"""M1: a guardian's consent to a minor's account (Q 7, Q 1(2)1).

"No service under the legal working age (16) even with guardian consent; 16–18 only with guardian
consent and supervision." orgdata refuses anyone under 16 and writes each account's
`minor_until` (its holder's 18th birthday); while that day is ahead, the account is inactive until
an administrator records the guardian's consent here (who the guardian is, how related, how to
reach them, what was shown, which additional purposes they agree to), and the ledger's
`grant_consent` refuses the person's own consent to a purpose their guardian's does not list.
Turning 18 needs nothing: `minor_until` passes.
"""
from __future__ import annotations

import django.dispatch
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import account_of
from access.capabilities import Capability, require
from accounts import services as account_services
from accounts.models import User
from audit.chain import lock_person
from audit.recording import record_bulk
from consent import selectors, state_cache
from consent.errors import GuardianConsentRequired
from consent.models import GuardianConsent, Purpose

# Sent (in the recording's transaction) once a guardian's consent is recorded, so the apps above
# consent can act on it: the erasure app closes the person's open minor case (erasure.services).
# kwargs: `person_id`, `actor`.
guardian_consent_recorded = django.dispatch.Signal()

_LIMITS = {"guardian_name": 100, "contact": 100, "evidence": 300}


def _clean_purposes(codes) -> list[str]:
    codes = sorted({str(code).strip() for code in codes or () if str(code).strip()})
    known = set(Purpose.objects.filter(code__in=codes, is_active=True).exclude(kind=Purpose.Kind.BASIC)
                .values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError({"purposes": [_("No such purpose: %(codes)s.") % {"codes": ", ".join(unknown)}]})
    return codes


def record_guardian_consent(*, actor, person: User, guardian_name: str, relationship: str, contact: str,
                            evidence: str, purpose_codes=()) -> GuardianConsent:
    """M1: `actor`, an administrator, verified a guardian's consent to `person`'s account: it is
    recorded (replacing one in force, which is marked withdrawn) and the account becomes active
    (accounts.User.has_guardian_consent). `purpose_codes` are the additional purposes the
    guardian agrees to (the basic ones are implied). Sends `guardian_consent_recorded`.

    Refuses an actor without RECORD_GUARDIAN_CONSENT for `person` (NotPermitted, NotInYourScope), a
    person who is not a minor by their recorded date of birth or whose account is disabled (under
    16, left, erased: ValidationError on `person`), an empty or too long name, contact or evidence,
    an unknown relationship and unknown or basic purposes (ValidationError naming the field).
    """
    require(actor, Capability.RECORD_GUARDIAN_CONSENT, target=person)
    values = {"guardian_name": (guardian_name or "").strip(), "contact": (contact or "").strip(),
              "evidence": (evidence or "").strip()}
    errors = {}
    for field, value in values.items():
        if not value:
            errors[field] = [_("This field is required.")]
        elif len(value) > _LIMITS[field]:
            errors[field] = [_("Use at most %(count)d characters.") % {"count": _LIMITS[field]}]
    if relationship not in GuardianConsent.Relationship.values:
        errors["relationship"] = [_("Choose how the guardian is related to the person.")]
    if errors:
        raise ValidationError(errors)
    purposes = _clean_purposes(purpose_codes)
    with transaction.atomic():
        # Lock order: the person's row before the audit-chain head (the consent's audit entry).
        lock_person(person.pk, exclusive=True)
        person = User.objects.get(pk=person.pk)
        if not person.is_active:
            raise ValidationError({"person": [_("This account is disabled: no guardian's consent can be recorded.")]})
        if not person.is_minor:
            raise ValidationError({"person": [_("By the recorded date of birth this person is not a minor: no "
                                                "guardian's consent is needed.")]})
        replaced = list(GuardianConsent.objects.filter(person=person, withdrawn_at__isnull=True)
                        .values_list("pk", flat=True))
        if replaced:
            GuardianConsent.objects.filter(pk__in=replaced).update(withdrawn_at=timezone.now(),
                                                                   withdrawn_by=account_of(actor))
            record_bulk(model=GuardianConsent, action="update", object_ids=replaced,
                        changed_fields=["withdrawn_at", "withdrawn_by"])
        consent = GuardianConsent.objects.create(person=person, relationship=relationship, purposes=purposes,
                                                 verified_by=account_of(actor), **values)
        account_services.record_guardian_consent_state(actor=actor, person=person, has_guardian_consent=True)
        state_cache.forget_person(person.pk)
        guardian_consent_recorded.send(sender=GuardianConsent, person_id=person.pk, actor=actor)
    return consent


def withdraw_guardian_consent(*, actor, person: User) -> GuardianConsent:
    """M1: the guardian withdrew their consent (an administrator records it): the consent in force
    is marked withdrawn and, while the person is a minor, their account is inactive again (every
    token and session ends). Refuses an actor without RECORD_GUARDIAN_CONSENT for `person`, and a
    person with no guardian's consent in force (ValidationError)."""
    require(actor, Capability.RECORD_GUARDIAN_CONSENT, target=person)
    with transaction.atomic():
        # Lock order: the person's row before the audit-chain head.
        lock_person(person.pk, exclusive=True)
        consent = GuardianConsent.objects.select_for_update().filter(
            person_id=person.pk, withdrawn_at__isnull=True).first()
        if consent is None:
            raise ValidationError({"person": [_("No guardian's consent is in force for this person.")]})
        consent.withdrawn_at, consent.withdrawn_by = timezone.now(), account_of(actor)
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        account_services.record_guardian_consent_state(actor=actor, person=User.objects.get(pk=person.pk),
                                                       has_guardian_consent=False)
        state_cache.forget_person(person.pk)
    return consent


def check_guardian_consent_covers(*, person, purpose: Purpose) -> None:
    """M1: the one check of the ledger's `grant_consent`: while `person` is a minor (their recorded
    18th birthday is ahead), their own consent to an additional purpose needs the guardian's
    consent in force to list that purpose. Refuses otherwise with GuardianConsentRequired naming
    the purpose."""
    minor_until = User.objects.filter(pk=person.pk).values_list("minor_until", flat=True).first()
    if minor_until is None or timezone.localdate() >= minor_until:
        return
    consent = selectors.guardian_consent_of(person)
    if consent is None or purpose.code not in consent.purposes:
        raise GuardianConsentRequired(
            _("You are under 18: consenting to “%(purpose)s” needs your guardian's consent to it first, recorded "
              "by your enterprise's administrator.") % {"purpose": purpose.code},
            extra={"purpose": purpose.code})
