"""C11: the enterprise's public "employee of the month" board. A person chosen for it is shown only
with their separate, explicit consent to that public disclosure; the gate is asked on every
request (its answer is cached per person under a generation counter that a withdrawal bumps, so
withdrawing takes them off at the next request)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import SystemActor, require_actor
from accounts.models import User
from consent import gate, selectors
from consent.models import BOARD_PURPOSE, BoardEntry, Disclosure, Purpose
from consent.services import ledger as ledger_services

PUBLIC_BOARD = SystemActor("public employee-of-the-month board")


def this_month():
    return timezone.localdate().replace(day=1)


@transaction.atomic
def choose(*, actor, person: User) -> BoardEntry:
    """C11: `actor` chooses `person` as this month's employee. Choosing shows nothing by itself: the
    board shows them only while they consent. Refuses inactive accounts and platform staff."""
    require_actor(actor)
    if not person.is_active or person.role == User.Role.PLATFORM_STAFF:
        raise ValidationError({"person": [_("Choose an active person of the enterprise.")]})
    entry, _created = BoardEntry.objects.get_or_create(person=person, month=this_month())
    return entry


@transaction.atomic
def shown_on_board(*, actor=PUBLIC_BOARD) -> list[str]:
    """C11: the names the public board shows this month — only people who consent to the board
    now. The first showing under each consent is recorded in the sharing ledger (to the public)."""
    purpose = Purpose.objects.get(code=BOARD_PURPOSE)
    names = []
    for entry in BoardEntry.objects.filter(month=this_month()).select_related("person").order_by("id"):
        person = entry.person
        if not person.is_active or not gate.may_process(person, BOARD_PURPOSE):
            continue
        grant = selectors.current_grant(person.pk, purpose)
        if grant is not None and not Disclosure.objects.filter(person=person, purpose=purpose,
                                                               consent_event=grant).exists():
            ledger_services.record_disclosure(actor=actor, person=person, purpose=purpose, event=grant,
                                              occasion=Disclosure.Occasion.PUBLIC_DISCLOSURE)
        names.append(person.display_name)
    return names
