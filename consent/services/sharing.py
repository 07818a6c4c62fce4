"""Sharing (C9–C11): a person's information handed to a recipient or the public, only with consent
for the purpose's current revision or under a recorded legal basis (C12), and always recorded.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from consent import catalogue as purpose_catalogue
from consent import gate, selectors, transfer_delivery
from consent.models import ApplicationAudience, Disclosure, Purpose, Recipient, Transfer
from consent.services import catalogue as catalogue_services
from consent.services import ledger as ledger_services
from consent.services import legal_bases as legal_basis_services
from consent.services import recipients as recipient_services


@transaction.atomic
def share_for_application_switch(*, actor, application_code: str, enabled: bool,
                                 person_ids: list[int]) -> list[Disclosure]:
    """C9 (Q 4(1)4): `actor` switched a third-party application on/off for `person_ids` (E6; the
    caller, orgdata.services.applications, asked whether they may). The disclosures name them.

    On: for each person who consented to sharing with this application, its login account,
    avatar, name and mobile are shared and the disclosure recorded; nobody else's data leaves.
    Off: nothing more is shared. The audience is remembered so that a later consent shares then.
    Who counts as consenting is the gate's answer (consent.gate.may_process), as everywhere else.
    """
    purpose = Purpose.objects.select_related("recipient").filter(
        code=purpose_catalogue.third_party_application_purpose_code(application_code)).first()
    if purpose is None:
        catalogue_services.sync_purpose_catalogue(actor=catalogue_services.CATALOGUE_SYNC)
        purpose = Purpose.objects.select_related("recipient").filter(
            code=purpose_catalogue.third_party_application_purpose_code(application_code)).first()
    for person_id in person_ids:
        ApplicationAudience.objects.update_or_create(application_code=application_code, person_id=person_id,
                                                     defaults={"is_enabled": enabled})
    if not enabled or purpose is None:
        return []
    disclosures = []
    for person in User.objects.filter(pk__in=person_ids):
        # The gate decides (withdrawal, revision, an inactive purpose, what it requires); the grant
        # is only looked up to name it in the record. A legal basis in effect is no consent event
        # to name, and switching an application on is no obligation: nothing is shared then.
        if not gate.may_process(person, purpose.code):
            continue
        grant = selectors.current_grant(person.pk, purpose)
        if grant is not None:
            disclosures.append(ledger_services.record_disclosure(
                actor=actor, person=person, purpose=purpose, event=grant,
                occasion=Disclosure.Occasion.APPLICATION_SWITCHED_ON))
    return disclosures


@transaction.atomic
def share_with_recipient(*, actor, person, purpose_code: str, legal_basis: str = "",
                         reference: str = "") -> Disclosure:
    """C9/C11: give `person`'s information to the purpose's recipient (or the public) and record it.

    Only with consent for the current revision of the purpose — or, without consent, under one of
    the listed legal bases (C12), which is recorded first and named by the disclosure. Refuses
    otherwise (ConsentRequired) and for purposes that share nothing. The records name `actor`, who
    discloses (nobody for system work).
    """
    purpose = ledger_services.additional_purpose(purpose_code)
    if purpose.kind not in (Purpose.Kind.SHARING, Purpose.Kind.DISCLOSURE):
        raise ValidationError({"purpose": [_("This purpose shares nothing.")]})
    occasion = Disclosure.Occasion.PUBLIC_DISCLOSURE if purpose.kind == Purpose.Kind.DISCLOSURE \
        else Disclosure.Occasion.SERVICE_USED
    if legal_basis:
        record = legal_basis_services.record_legal_basis(actor=actor, person=person, purpose_code=purpose_code,
                                                         basis=legal_basis, reference=reference)
        return ledger_services.record_disclosure(actor=actor, person=person, purpose=purpose, event=None,
                                                 occasion=occasion, legal_basis_record=record)
    gate.require_consent(person, purpose_code)
    if purpose.recipient_id:
        require_cross_border_authorisation(person, purpose.recipient)
    return ledger_services.record_disclosure(actor=actor, person=person, purpose=purpose,
                                             event=selectors.current_grant(person.pk, purpose), occasion=occasion)


def may_cross_border(person, recipient: Recipient) -> bool:
    """S1: the one check of the data region. A recipient in mainland China needs nothing more; one
    outside it only reaches people who gave the separate cross-border authorisation for it."""
    if not recipient.is_cross_border:
        return True
    return gate.may_process(person, recipient_services.cross_border_purpose_code(recipient.code))


def require_cross_border_authorisation(person, recipient: Recipient) -> None:
    if recipient.is_cross_border:
        gate.require_consent(person, recipient_services.cross_border_purpose_code(recipient.code))


# What each personal-information type is, read from the person's account (field names in
# consent.catalogue.PI_TYPES). Only the types a person consented to are ever taken from here.
_VALUES = {
    "login_account": lambda person: person.mobile,
    "mobile": lambda person: person.mobile,
    "name": lambda person: person.display_name,
    "nickname": lambda person: person.display_name,
    "user_id": lambda person: str(person.pk),
}


def record_for(person, pi_types) -> dict:
    """C9: what the recipient receives about `person`: exactly the consented `pi_types` (the ones
    the person has no value for are left out). Everything else about them never leaves."""
    available = {name: read(person) for name, read in _VALUES.items()}
    return {name: value for name, value in available.items() if name in pi_types}


@transaction.atomic
def queue_transfer(*, actor, recipient: Recipient, dataset: str) -> Transfer:
    """C9: the enterprise sends payroll or insurance data to a partner it registered; the sending
    runs in a Celery task once this commits (consent.tasks.send_transfer)."""
    from consent import tasks  # tasks import this module

    if not recipient.purposes.filter(kind=Purpose.Kind.SHARING, code=f"share.{recipient.code}").exists():
        raise ValidationError({"recipient": [_("Nothing can be sent to this recipient.")]})
    if dataset not in Transfer.Dataset.values:
        raise ValidationError({"dataset": [_("Choose payroll or insurance data.")]})
    transfer = Transfer.objects.create(recipient=recipient, dataset=dataset)
    transaction.on_commit(lambda: tasks.send_transfer.delay(transfer.pk))
    return transfer


def send_transfer(*, actor, transfer_id: int) -> Transfer:
    """C9/S1: deliver one transfer. Each active person is included only if they consented to
    sharing with the recipient (the gate decides) and, outside mainland China, gave the separate
    cross-border authorisation; each one included is recorded in the sharing ledger with the types
    sent. The others are skipped and counted in the summary. Idempotent: a sent transfer is left."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().select_related("recipient").get(pk=transfer_id)
        if transfer.status == Transfer.Status.SENT:
            return transfer
        recipient = transfer.recipient
        purpose_code = f"share.{recipient.code}"
        purpose = Purpose.objects.get(code=purpose_code)
        records, without_consent, without_cross_border = [], 0, 0
        for person in User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF):
            if not gate.may_process(person, purpose_code):
                without_consent += 1
                continue
            if not may_cross_border(person, recipient):
                without_cross_border += 1
                continue
            disclosure = ledger_services.record_disclosure(
                actor=actor, person=person, purpose=purpose, event=selectors.current_grant(person.pk, purpose),
                occasion=Disclosure.Occasion.SERVICE_USED)
            records.append(record_for(person, disclosure.pi_types))
        transfer_delivery.deliver(recipient=recipient, transfer=transfer, records=records)
        transfer.status = Transfer.Status.SENT
        transfer.sent_count = len(records)
        transfer.skipped_without_consent = without_consent
        transfer.skipped_without_cross_border = without_cross_border
        transfer.finished_at = timezone.now()
        transfer.save()
    return transfer
