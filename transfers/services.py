"""C10: an enterprise's data passes to a new holder (merger, acquisition).

`record_holder_transfer` (platform staff, Django admin) keeps the platform's record and queues the
enterprise's task; `tell_people_of_transfer` (that task, inside the enterprise's schema) raises the
revision of each purpose whose use changes — the consent gate then refuses their processing until
each person consents again — and tells every person of the enterprise (inbox, e-mail where known,
SMS where not).
"""
from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from access import actors
from access.actors import SystemActor, require_actor
from access.capabilities import Capability, require
from accounts import sms
from accounts.models import User
from audit.recording import record_event
from consent import catalogue as purpose_catalogue
from consent.services import catalogue as catalogue_services
from policies import selectors as policy_selectors
from rights import inbox
from tenants.models import Enterprise, LifecycleEvent
from transfers.models import HolderTransfer

logger = logging.getLogger(__name__)

# Telling the enterprise's people and revising its purposes is the platform's work, queued by the
# staff member's record: nobody in the enterprise started it.
TRANSFER_NOTICE = SystemActor("holder transfer notice")


def _changeable_purpose_codes() -> set[str]:
    return {definition.code for definition in purpose_catalogue.ALL_PURPOSES if definition.kind != "basic"}


@transaction.atomic
def record_holder_transfer(*, actor, enterprise: Enterprise, new_holder_name: str, new_holder_contact: str,
                           effective_on: date, changed_purposes: list[str] = ()) -> HolderTransfer:
    """Record that `enterprise`'s data passes to `new_holder_name` on `effective_on`.

    Without `changed_purposes` the new holder is bound to the policy version in force now (kept on
    the record). With them, each person must consent again before those purposes are processed.
    Every person of the enterprise is told by a task in its schema, queued after commit. Refuses
    anyone without RECORD_HOLDER_TRANSFER (NotPermitted), a missing name or contact, unknown or
    basic purposes (ValidationError, field by field). Recorded in the enterprise's lifecycle.
    """
    require(actor, Capability.RECORD_HOLDER_TRANSFER)
    errors = {}
    if not new_holder_name.strip():
        errors["new_holder_name"] = [_("This field is required.")]
    if not new_holder_contact.strip():
        errors["new_holder_contact"] = [_("This field is required.")]
    unknown = sorted(set(changed_purposes) - _changeable_purpose_codes())
    if unknown:
        errors["changed_purposes"] = [_("There is no purpose %(code)s that people consent to.") % {"code": code}
                                      for code in unknown]
    if errors:
        raise ValidationError(errors)
    in_force = policy_selectors.current_version()
    transfer = HolderTransfer.objects.create(
        enterprise=enterprise, new_holder_name=new_holder_name.strip(), new_holder_contact=new_holder_contact.strip(),
        effective_on=effective_on, changes_purpose=bool(changed_purposes),
        changed_purposes=sorted(set(changed_purposes)), bound_policy_version=in_force,
        recorded_by=None if actors.is_system_actor(actor) else actor)
    LifecycleEvent.objects.create(enterprise=enterprise, event="holder_transfer_recorded", actor=actors.label(actor),
                                  detail={"transfer": transfer.pk, "changed_purposes": transfer.changed_purposes,
                                          "bound_policy_version": in_force.version if in_force else None})

    def queue():
        from transfers.tasks import tell_people_of_transfer

        with schema_context(enterprise.schema_name):
            tell_people_of_transfer.delay(transfer.pk)

    transaction.on_commit(queue)
    return transfer


def _notice(transfer: HolderTransfer) -> tuple[str, str]:
    facts = {"holder": transfer.new_holder_name, "date": transfer.effective_on.isoformat(),
             "contact": transfer.new_holder_contact}
    subject = _("Your information passes to %(holder)s on %(date)s") % facts
    if transfer.changes_purpose:
        purposes = {purpose.code: purpose for purpose in purpose_catalogue.ALL_PURPOSES}
        facts["purposes"] = ", ".join(purposes[code].name_en if code in purposes else code
                                      for code in transfer.changed_purposes)
        body = _("Your enterprise's personal information passes to %(holder)s on %(date)s. The new holder will use "
                 "it for changed purposes: %(purposes)s. Nothing is processed for these purposes until you "
                 "consent again in My Settings – Privacy. Contact the new holder at %(contact)s.") % facts
    else:
        facts["version"] = transfer.bound_policy_version.version if transfer.bound_policy_version else "-"
        body = _("Your enterprise's personal information passes to %(holder)s on %(date)s. The new holder is bound "
                 "by the privacy policy in force (version %(version)s): your information is used as before. "
                 "Contact the new holder at %(contact)s.") % facts
    return subject, body


@transaction.atomic
def tell_people_of_transfer(*, actor, transfer: HolderTransfer) -> int:
    """In the transfer's enterprise schema: raise the revision of each changed purpose (the gate
    then needs new consent), tell every active person (inbox; SMS to those without an e-mail
    address), audit it and mark the transfer told. Idempotent: a transfer already told is left
    as it is (returns 0). Returns how many people were told."""
    require_actor(actor)
    transfer = HolderTransfer.objects.select_for_update(of=("self",)).select_related("bound_policy_version").get(
        pk=transfer.pk)
    if transfer.people_told_at is not None:
        return 0
    if transfer.changed_purposes:
        catalogue_services.revise_purposes(actor=actor, codes=transfer.changed_purposes)
    subject, body = _notice(transfer)
    people = User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF).order_by("pk")
    told = unsent = 0
    for person in people:
        inbox.deliver(person=person, subject=subject, body=body, topic=inbox.Topic.ACCOUNT)
        if not inbox.email_of(person):
            try:
                sms.send_sms(person=person, message_kind="holder_transfer",
                             params={"holder": transfer.new_holder_name, "date": transfer.effective_on.isoformat()})
            except sms.SmsNotSent:
                # The message is in their inbox all the same; one refused text must not leave the
                # rest of the enterprise untold. Counted for operators, never the number.
                unsent += 1
        told += 1
    record_event(action="holder_transfer_told", object_type="transfers.HolderTransfer", object_id=transfer.pk,
                 changed_fields=transfer.changed_purposes)
    if unsent:
        logger.warning("holder transfer %s: %s text messages not sent", transfer.pk, unsent)
    transfer.people_told_at = timezone.now()
    transfer.save(update_fields=["people_told_at"])
    return told
