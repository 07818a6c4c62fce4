"""Reads of rights requests: the person's own, and the enterprise's queue."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.capabilities import Capability, may, require
from accounts.models import User
from rights import deadlines
from rights.models import InboxMessage, ProtectionContact, RightsRequest

OPEN = [RightsRequest.Status.SUBMITTED, RightsRequest.Status.IN_PROGRESS]


def requests_of(person) -> QuerySet:
    return RightsRequest.objects.filter(person=person).prefetch_related("events")


def request_of(person, pk: int) -> RightsRequest:
    """One of `person`'s requests; another person's raises DoesNotExist (shown as not found)."""
    return requests_of(person).get(pk=pk)


def inbox_of(person) -> QuerySet:
    return InboxMessage.objects.filter(person=person)


def queue_for(actor, *, kind: str = "", status: str = "", overdue: bool = False, due_soon: bool = False) -> QuerySet:
    """The enterprise's requests for whoever handles them, soonest due first, filtered; `due_soon`:
    the open ones within 2 working days of their date or past it (what the console's banner counts)."""
    require(actor, Capability.HANDLE_RIGHTS_REQUESTS)
    requests = RightsRequest.objects.select_related("person").order_by("due_on", "id")
    if kind:
        requests = requests.filter(kind=kind)
    if due_soon:
        return due_soon_among(requests)
    if status == "open" or overdue:
        requests = requests.filter(status__in=OPEN)
    elif status:
        requests = requests.filter(status=status)
    if overdue:
        requests = requests.filter(due_on__lt=timezone.localdate())
    return requests


def due_soon_among(requests: QuerySet, *, today=None) -> QuerySet:
    """The open `requests` within 2 working days of the date that is watched (R5: an account
    cancellation's erasure date, else the due date), or past it. Read through the partial index
    rights_request_open_watched."""
    horizon = deadlines.escalation_horizon(today or timezone.localdate())
    return requests.filter(status__in=OPEN).alias(watched_on=Coalesce("erase_by", "due_on")).filter(
        watched_on__lte=horizon)


def due_soon_count(actor) -> int | None:
    """For the console's banner: how many requests are due soon or overdue, for someone who handles
    them (one COUNT); None for anyone else."""
    if not may(actor, Capability.HANDLE_RIGHTS_REQUESTS):
        return None
    return due_soon_among(RightsRequest.objects.all()).count()


def protection_contact() -> ProtectionContact | None:
    """R10: the enterprise's personal-information protection contact, while they still hold the
    capability (a contact since made a plain employee, or deactivated, is nobody's contact)."""
    contact = ProtectionContact.objects.select_related("person").first()
    if contact is None or not contact.person.is_active or not may(contact.person, Capability.HANDLE_RIGHTS_REQUESTS):
        return None
    return contact


def queued_request(actor, pk: int) -> RightsRequest:
    return queue_for(actor).prefetch_related("events").get(pk=pk)


def open_requests_by_kind() -> list[tuple[str, int, int]]:
    """Per kind of request with any open: (kind label, open, of which overdue), for the dashboard."""
    open_requests = RightsRequest.objects.filter(
        status__in=[RightsRequest.Status.SUBMITTED, RightsRequest.Status.IN_PROGRESS])
    today = timezone.localdate()
    rows = (open_requests.values("kind")
            .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today))).order_by("kind"))
    labels = dict(RightsRequest.Kind.choices)
    return [(str(labels.get(row["kind"], row["kind"])), row["open"], row["overdue"]) for row in rows]


def published_contact() -> dict:
    """R10: what employees are shown of whom to contact: the protection contact's name and published
    channel, or (none appointed) the manager's name."""
    contact = protection_contact()
    if contact is not None:
        return {"is_appointed": True, "name": contact.person.display_name, "contact_channel": contact.contact_channel}
    manager = User.objects.filter(role=User.Role.MANAGER, is_active=True).first()
    return {"is_appointed": False, "name": manager.display_name if manager else "", "contact_channel": ""}
