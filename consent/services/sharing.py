"""Sharing (C9–C11): a person's information handed to a recipient or the public, only with consent
for the purpose's current revision or under a recorded legal basis (C12), and always recorded.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from consent import catalogue as purpose_catalogue
from consent import gate, selectors
from consent.models import ApplicationAudience, Disclosure, Purpose
from consent.services import catalogue as catalogue_services
from consent.services import ledger as ledger_services
from consent.services import legal_bases as legal_basis_services


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
    return ledger_services.record_disclosure(actor=actor, person=person, purpose=purpose,
                                             event=selectors.current_grant(person.pk, purpose), occasion=occasion)
