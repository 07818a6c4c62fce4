"""Issue 14: how a new employee gets in. An administrator never invents a password and passes it
on: adding a person creates their account without a usable password and an invitation, a one-time
activation link (/activate/<token> on the enterprise's host) that the administrator copies or has
sent by SMS. The person opens it, chooses their password, and signs in in the app.

Rules: only a SHA-256 digest of the token is stored (the token travels only in the link); a link
works once, until INVITATION_TTL, and only while it is the person's newest invitation (inviting
again retires the earlier ones). Neither the token nor the link is ever logged.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import account_of, require_actor
from accounts import sms
from accounts.errors import InvitationUnusable, SmsUnavailable
from accounts.models import Invitation, InvitationChannel, User

logger = logging.getLogger(__name__)

# A token from `secrets.token_urlsafe(32)` is 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class IssuedInvitation:
    token: str
    record: Invitation


def _lock_person(person: User) -> None:
    # Lock order: the person's row first (before any audit-chain head the writes below take).
    User.objects.select_for_update().filter(pk=person.pk).first()


@transaction.atomic
def issue_invitation(*, actor, person: User, channel: str = InvitationChannel.LINK) -> IssuedInvitation:
    """Give `person` a new activation link, retiring every earlier one of theirs; return the token
    (shown or sent once, never stored). Its callers decide who may (orgdata's add_employee asks
    the actor's scope, `invite_again` asks Capability.RESET_PASSWORD): `actor` is required all the
    same. Refuses a missing actor and an inactive account (ValidationError: a person who left or
    awaits a guardian's consent is not invited)."""
    require_actor(actor)
    _lock_person(person)
    if not person.is_active:
        raise ValidationError(_("This account is disabled; it cannot be activated."))
    now = timezone.now()
    Invitation.objects.filter(person=person, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    raw = secrets.token_urlsafe(32)
    record = Invitation.objects.create(person=person, token_digest=Invitation.digest_of(raw), created_at=now,
                                       expires_at=now + settings.INVITATION_TTL, sent_by=account_of(actor),
                                       channel=channel)
    logger.info("invitation issued: invitation_id=%s channel=%s", record.pk, channel)
    return IssuedInvitation(raw, record)


def send_invitation_sms(*, actor, invitation: IssuedInvitation, link: str) -> None:
    """Send the person the activation `link` of `invitation` by SMS, to their account's number.
    Refuses an invitation no longer open (InvitationUnusable) and a provider that does not take
    the message (SmsUnavailable, 503)."""
    require_actor(actor)
    record = invitation.record
    record.refresh_from_db()
    if not record.is_open:
        raise InvitationUnusable(_("This invitation is no longer valid. Invite the person again."))
    try:
        sms.send_sms(person=record.person, message_kind="invitation", params={
            "name": record.person.display_name, "link": link,
            "days": max(1, int(settings.INVITATION_TTL.total_seconds() // 86400))})
    except sms.SmsNotSent:
        raise SmsUnavailable(_("The text message could not be sent. Try again in a few minutes.")) from None
    Invitation.objects.filter(pk=record.pk).update(channel=InvitationChannel.SMS)


def _find(token) -> Invitation | None:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return Invitation.objects.select_related("person").filter(token_digest=Invitation.digest_of(token)).first()


def open_invitation(token) -> Invitation:
    """The open invitation behind `token`. Refuses an unknown token (Invitation.DoesNotExist, a 404
    that says nothing more) and one used, replaced or expired (InvitationUnusable, 410)."""
    record = _find(token)
    if record is None:
        raise Invitation.DoesNotExist
    if not record.is_open or not record.person.is_active:
        raise InvitationUnusable(_("This activation link is no longer valid."))
    return record


@transaction.atomic
def activate(*, token, password: str) -> User:
    """The person behind `token` chooses their `password`: it becomes the account's, and the
    invitation is used up. Refuses what `open_invitation` refuses, checked again under the
    person's lock (a link works once, even when opened twice at the same moment), and a password
    the project's validators refuse (ValidationError on `password`)."""
    record = _find(token)
    if record is None:
        raise Invitation.DoesNotExist
    person = record.person
    _lock_person(person)
    record = Invitation.objects.select_for_update().get(pk=record.pk)
    if not record.is_open or not person.is_active:
        raise InvitationUnusable(_("This activation link is no longer valid."))
    try:
        validate_password(password, person)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    person.set_password(password)
    person.must_change_password = False
    person.save(update_fields=["password", "must_change_password"])
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
    logger.info("invitation used: invitation_id=%s", record.pk)
    return person
