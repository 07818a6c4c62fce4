"""The person's in-app inbox, one for every function (read through the API at /api/v1/rights/inbox):
`deliver` puts a message in it and, where the enterprise knows the person's e-mail address, sends
the same text through Django's e-mail backend after the transaction commits. Rights requests,
security incidents, approvals and announcements all reach people through here; the topic says which
function sent it.

The message itself is personal information of its recipient (rights.models.InboxMessage's data-map
declaration): it is part of their copy and erased with them.
"""
from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from access.actors import require_actor

from accounts.models import User
from rights.models import InboxMessage

Topic = InboxMessage.Topic


def deliver(*, person: User, subject: str, body: str, topic: str = Topic.RIGHTS, request=None, link: str = "",
            email: bool = True) -> InboxMessage:
    """A message in `person`'s inbox (and an e-mail where an address is known, unless `email` is
    False). Returns the stored message."""
    message = InboxMessage.objects.create(person=person, request=request, topic=topic, link=link[:300],
                                          subject_line=subject[:200], body=body)
    address = email_of(person) if email else ""
    if address:
        transaction.on_commit(lambda: send_mail(subject, body, None, [address], fail_silently=True))
    return message


def mark_read(*, actor, message: InboxMessage) -> InboxMessage:
    """The recipient (`actor`) has read `message`; anyone else's message raises DoesNotExist (shown as
    not found). Reading it again changes nothing."""
    require_actor(actor)
    if message.person_id != getattr(actor, "pk", None):
        raise InboxMessage.DoesNotExist
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


def email_of(person: User) -> str:
    """The person's e-mail address as the enterprise keeps it in their employee record, or ""."""
    from orgdata.models import Employee

    return Employee.objects.filter(account=person).values_list("email", flat=True).first() or ""
