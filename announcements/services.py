"""Writes of announcements: sending one, leaving and rejoining a channel, the personalisation choice.

C13 (Q 3(2), Q 6(5)): "automated push or marketing offers an option not based on personal
characteristics; mailing lists can be left at any time".

- Leaving: every channel is a list. A person leaves it from the inbox item (API action), from the
  signed one-click link in the e-mail, or from their settings; the Unsubscription row is written at
  once and `send_announcement` reads it on the next send, so the very next announcement on that
  channel reaches them neither in the inbox, nor by push, nor by e-mail.
- Not based on personal characteristics: what is personalised today is the ranking of the
  announcement feed and the push's priority. Personalised (the default), an announcement
  addressed to the person's own department is pushed with high priority (a heads-up notification)
  and comes first in their feed. With personalisation off, every push has the same normal priority
  and the feed is in plain time order, the same order for everyone. Who receives an announcement
  is the sender's choice of departments, never the person's characteristics.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import SystemActor, account_of, require_actor
from access.capabilities import Capability, may, require
from core.errors import NotPermitted
from accounts.models import User
from audit.chain import lock_person
from audit.recording import record_event
from announcements import push
from announcements.models import (
    Announcement,
    AnnouncementDepartment,
    Channel,
    Delivery,
    PersonalisationChoice,
    Unsubscription,
)
from orgdata.models import Department, Employee
from rights import inbox
from tenants import selectors as tenant_selectors

TITLE_LIMIT, BODY_LIMIT = 200, 5000
ANNOUNCEMENT_DELIVERY = SystemActor("announcement delivery")
_UNSUBSCRIBE_SALT = "announcements.unsubscribe"
# A refused push is tried again after each of these delays, then given up (bounded, backing off).
PUSH_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
_PUSH_DUE = (Delivery.PushStatus.PENDING, Delivery.PushStatus.FAILED)


@transaction.atomic
def create_channel(*, actor, name: str, description: str = "") -> Channel:
    """A new channel (the manager's: channels are enterprise-wide)."""
    require(actor, Capability.ANNOUNCE_TO_EVERYONE)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("Give the channel a name of at most 100 characters.")]})
    if Channel.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("A channel with this name exists.")]})
    return Channel.objects.create(name=name, description=(description or "").strip()[:300])


def is_personalised(person: User) -> bool:
    """C13: whether `person` allows ordering and priority by their department and position."""
    choice = PersonalisationChoice.objects.filter(person=person).values_list("is_personalised", flat=True).first()
    return True if choice is None else choice


def _recipients(*, departments: list[Department], is_for_everyone: bool):
    employees = Employee.objects.filter(account__is_active=True).exclude(work_status=Employee.WorkStatus.LEFT)
    if not is_for_everyone:
        subtrees = Department.objects.none()
        for department in departments:
            subtrees = subtrees | Department.objects.filter(path__startswith=department.path)
        employees = employees.filter(department__in=subtrees)
    return employees.select_related("account", "department")


@transaction.atomic
def send_announcement(*, actor, channel: Channel, title: str, body: str, departments: list[Department] = (),
                      is_for_everyone: bool = False) -> Announcement:
    """Send an announcement on `channel` to everyone in `departments` (and below) or to everyone.

    Each recipient gets an inbox item (topic "announcement"), a push and, where the enterprise
    knows their address, an e-mail with a one-click link to leave the channel: at once for an
    audience of up to settings.ANNOUNCEMENT_INLINE_RECIPIENTS, by the worker (in batches) for a
    larger one (`deliver_announcement`). Skipped: people who
    left the channel (C13: read here, on every send), people whose announcements application is
    switched off (E6), accounts that are inactive or left the company.

    Refuses a sub-administrator's department outside their scope (NotInYourScope), "everyone" to
    anyone but the manager (NotPermitted), an empty title, text or audience (ValidationError).
    """
    require_actor(actor)
    departments = list(departments or [])
    if is_for_everyone:
        require(actor, Capability.ANNOUNCE_TO_EVERYONE)
    else:
        require(actor, Capability.SEND_ANNOUNCEMENTS)
        for department in departments:
            require(actor, Capability.SEND_ANNOUNCEMENTS, target=department)
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title or len(title) > TITLE_LIMIT:
        errors["title"] = [_("Give a title of at most %(limit)s characters.") % {"limit": TITLE_LIMIT}]
    if not body or len(body) > BODY_LIMIT:
        errors["body"] = [_("Write a text of at most %(limit)s characters.") % {"limit": BODY_LIMIT}]
    if not is_for_everyone and not departments:
        errors["departments"] = [_("Choose the departments, or everyone.")]
    if not channel.is_active:
        errors["channel"] = [_("This channel is no longer used.")]
    if errors:
        raise ValidationError(errors)

    announcement = Announcement.objects.create(channel=channel, title=title, body=body, sent_at=timezone.now(),
                                               is_for_everyone=is_for_everyone, sent_by=account_of(actor))
    for department in departments:
        AnnouncementDepartment.objects.create(announcement=announcement, department=department)
    audience = _recipients(departments=departments, is_for_everyone=is_for_everyone).count()
    if audience <= settings.ANNOUNCEMENT_INLINE_RECIPIENTS:
        # Before the audit entry below: the delivery locks its recipients, who come before the
        # audit-chain head in the lock order.
        deliver_announcement(actor=ANNOUNCEMENT_DELIVERY, announcement=announcement)
    else:
        # A large audience is delivered by the worker, in batches (never in the web request).
        from announcements import tasks  # the task module imports this one

        transaction.on_commit(lambda: tasks.deliver_announcement.delay(announcement.pk))
    record_event(action="announcement_sent", object_type="announcements.announcement", object_id=announcement.pk,
                 changed_fields=["title", "body"])
    return announcement


def deliver_announcement(*, actor, announcement: Announcement, batch_size: int = 500) -> int:
    """Deliver `announcement` to everyone it addresses who has not had it yet; returns how many
    got it now. Idempotent (a worker killed mid-way is run again). Each batch is one transaction
    that locks its recipients' rows first (lock order: people before the audit-chain head)."""
    require_actor(actor)
    departments = [row.department for row in announcement.addressed.select_related("department")]
    addressed_paths = [department.path for department in departments]
    delivered, after = 0, 0
    while True:
        with transaction.atomic():
            # C13: whoever left the channel is skipped, read again for every batch of every send.
            left = set(Unsubscription.objects.filter(channel_id=announcement.channel_id)
                       .values_list("person_id", flat=True))
            batch = list(_recipients(departments=departments, is_for_everyone=announcement.is_for_everyone)
                         .filter(account_id__gt=after).order_by("account_id")[:batch_size])
            had_it = set(Delivery.objects.filter(announcement=announcement, person_id__in=[
                employee.account_id for employee in batch]).values_list("person_id", flat=True))
            recipients = [(employee.account, employee.department.path if employee.department_id else "")
                          for employee in batch
                          if employee.account_id not in left and employee.account_id not in had_it]
            # E6: people with the announcements application switched off get nothing.
            recipients = [(person, path) for person, path in recipients
                          if may(person, Capability.USE_APPLICATION, target="announcements")]
            for person_id in sorted(person.pk for person, _path in recipients):
                lock_person(person_id, exclusive=False)
            for person, own_path in recipients:
                _deliver(announcement, person, is_for_own_department=bool(own_path) and any(
                    own_path.startswith(path) for path in addressed_paths))
            delivered += len(recipients)
            Announcement.objects.filter(pk=announcement.pk).update(
                recipient_count=Delivery.objects.filter(announcement=announcement).count())
            # Pushes leave only once the batch's inbox items and deliveries are committed, with no
            # person locked: a vendor's refusal can neither undo nor repeat anyone's delivery.
            person_ids = [person.pk for person, _path in recipients]
            transaction.on_commit(lambda ids=person_ids: push_deliveries(
                actor=actor, deliveries=Delivery.objects.filter(announcement=announcement, person_id__in=ids)))
        if len(batch) < batch_size:
            break
        after = batch[-1].account_id
    announcement.refresh_from_db(fields=["recipient_count"])
    return delivered


def _deliver(announcement: Announcement, person: User, *, is_for_own_department: bool) -> Delivery:
    link = f"/api/v1/announcements/{announcement.pk}"
    message = inbox.deliver(person=person, subject=announcement.title, body=announcement.body,
                            topic=inbox.Topic.ANNOUNCEMENT, link=link, email=False)
    # C13: a heads-up only for what concerns the person's own department, and only if they allow it.
    priority = "high" if is_for_own_department and is_personalised(person) else "normal"
    delivery = Delivery.objects.create(announcement=announcement, person=person, inbox_message=message,
                                       is_for_own_department=is_for_own_department, push_priority=priority)
    address = inbox.email_of(person)
    if address:
        transaction.on_commit(lambda: _send_email(announcement, person, address))
    return delivery


def push_deliveries(*, actor, deliveries) -> int:
    """Push each of `deliveries` whose push has not left yet; returns how many left now.

    Called after the deliveries are committed, never inside a transaction holding person locks.
    Each push is claimed and recorded in its own short transaction, so a push that left is never
    sent again. A refusal (PushNotSent) is recorded on that delivery alone and tried again by
    `retry_due_pushes` after PUSH_RETRY_DELAYS; after the last, the push is given up."""
    require_actor(actor)
    sent = 0
    for delivery_id in deliveries.filter(push_status__in=_PUSH_DUE).values_list("pk", flat=True):
        with transaction.atomic():
            delivery = (Delivery.objects.select_for_update(skip_locked=True).select_related("announcement", "person")
                        .filter(pk=delivery_id, push_status__in=_PUSH_DUE).first())
            if delivery is None:  # pushed meanwhile, or being pushed by another worker
                continue
            announcement = delivery.announcement
            try:
                push.send_push(person=delivery.person, title=announcement.title, body=announcement.body[:200],
                               link=f"/api/v1/announcements/{announcement.pk}", priority=delivery.push_priority)
            except push.PushNotSent:
                delivery.push_attempts += 1
                if delivery.push_attempts > len(PUSH_RETRY_DELAYS):
                    delivery.push_status, delivery.push_next_attempt_at = Delivery.PushStatus.GAVE_UP, None
                else:
                    delivery.push_status = Delivery.PushStatus.FAILED
                    delivery.push_next_attempt_at = timezone.now() + PUSH_RETRY_DELAYS[delivery.push_attempts - 1]
            else:
                delivery.push_attempts += 1
                delivery.push_status, delivery.push_next_attempt_at = Delivery.PushStatus.SENT, None
                sent += 1
            delivery.save(update_fields=["push_status", "push_attempts", "push_next_attempt_at"])
    return sent


def retry_due_pushes(*, actor) -> int:
    """The periodic job: push again what was refused and is due, and what a stopped worker left."""
    require_actor(actor)
    now = timezone.now()
    return push_deliveries(actor=actor, deliveries=Delivery.objects.filter(
        Q(push_status=Delivery.PushStatus.FAILED, push_next_attempt_at__lte=now)
        | Q(push_status=Delivery.PushStatus.PENDING, delivered_at__lte=now - PUSH_RETRY_DELAYS[0])))


def unsubscribe_token(person: User, channel: Channel) -> str:
    """The signed token of the e-mail's one-click link: it names the person and the channel only."""
    return signing.dumps({"p": person.pk, "c": channel.pk}, salt=_UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(person: User, channel: Channel, *, host: str) -> str:
    return f"https://{host}/unsubscribe/{unsubscribe_token(person, channel)}"


def _send_email(announcement: Announcement, person: User, address: str) -> None:
    host = _host_of_current_enterprise()
    url = unsubscribe_url(person, announcement.channel, host=host)
    text = (announcement.body + "\n\n" + _("You receive this because you are on the channel “%(channel)s”. "
                                           "Leave it with one click: %(url)s")
            % {"channel": announcement.channel.name, "url": url})
    # RFC 8058: mail programs show their own "unsubscribe" button, which POSTs to the same link.
    EmailMessage(announcement.title, text, None, [address],
                 headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
                 ).send(fail_silently=True)


def _host_of_current_enterprise() -> str:
    return tenant_selectors.primary_host(tenant_selectors.current_enterprise()) or ""


@transaction.atomic
def leave_channel(*, actor, person: User, channel: Channel, via: str) -> Unsubscription:
    """C13: `person` leaves `channel`, at once: the next send skips them. Only the person leaves
    their own lists (the signed e-mail link acts for the person it names). Leaving twice is a no-op."""
    require_actor(actor)
    if actor != person:
        raise NotPermitted(_("Only you can leave your own channels."))
    if via not in Unsubscription.Via.values:
        raise ValueError(f"unknown way of leaving {via!r}")
    left, created = Unsubscription.objects.get_or_create(person=person, channel=channel, defaults={"via": via})
    if created:
        record_event(action="channel_left", object_type="announcements.channel", object_id=channel.pk,
                     changed_fields=["via"])
    return left


@transaction.atomic
def rejoin_channel(*, actor, person: User, channel: Channel) -> None:
    """The person joins a channel they left again (from their settings)."""
    require_actor(actor)
    if actor != person:
        raise NotPermitted(_("Only you can join your own channels."))
    if Unsubscription.objects.filter(person=person, channel=channel).delete()[0]:
        record_event(action="channel_joined", object_type="announcements.channel", object_id=channel.pk)


def person_of_unsubscribe_token(token: str) -> tuple[User, Channel]:
    """The person and channel a one-click link names; ValidationError for a forged or broken one."""
    try:
        data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
        return User.objects.get(pk=data["p"], is_active=True), Channel.objects.get(pk=data["c"])
    except (signing.BadSignature, KeyError, TypeError, User.DoesNotExist, Channel.DoesNotExist):
        raise ValidationError({"token": [_("This link is not valid.")]}) from None


@transaction.atomic
def choose_personalisation(*, actor, person: User, is_personalised: bool) -> PersonalisationChoice:
    """C13: the person's own choice; takes effect on the next feed read and the next push."""
    require_actor(actor)
    if actor != person:
        raise NotPermitted(_("Only you can change your own settings."))
    lock_person(person.pk, exclusive=False)  # lock order: the person before the audit-chain head
    choice, _created = PersonalisationChoice.objects.update_or_create(
        person=person, defaults={"is_personalised": bool(is_personalised)})
    return choice


@transaction.atomic
def mark_read(*, actor, delivery: Delivery) -> Delivery:
    """The person read an announcement (its inbox item is read too)."""
    require_actor(actor)
    if delivery.person_id != actor.pk:
        raise NotPermitted(_("This announcement was not sent to you."))
    lock_person(actor.pk, exclusive=False)  # lock order: the person before the audit-chain head
    if delivery.read_at is None:
        delivery.read_at = timezone.now()
        delivery.save(update_fields=["read_at"])
        if delivery.inbox_message is not None and delivery.inbox_message.read_at is None:
            delivery.inbox_message.read_at = delivery.read_at
            delivery.inbox_message.save(update_fields=["read_at"])
    return delivery
