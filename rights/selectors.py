"""Reads of rights requests: the person's own, and the enterprise's queue."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from access.capabilities import Capability, require
from rights.models import InboxMessage, RightsRequest


def requests_of(person) -> QuerySet:
    return RightsRequest.objects.filter(person=person).prefetch_related("events")


def request_of(person, pk: int) -> RightsRequest:
    """One of `person`'s requests; another person's raises DoesNotExist (shown as not found)."""
    return requests_of(person).get(pk=pk)


def inbox_of(person) -> QuerySet:
    return InboxMessage.objects.filter(person=person)


def queue_for(actor, *, kind: str = "", status: str = "", overdue: bool = False) -> QuerySet:
    """The enterprise's requests for whoever handles them, soonest due first, filtered."""
    require(actor, Capability.HANDLE_RIGHTS_REQUESTS)
    requests = RightsRequest.objects.select_related("person").order_by("due_on", "id")
    if kind:
        requests = requests.filter(kind=kind)
    if status == "open" or overdue:
        requests = requests.filter(status__in=[RightsRequest.Status.SUBMITTED, RightsRequest.Status.IN_PROGRESS])
    elif status:
        requests = requests.filter(status=status)
    if overdue:
        requests = requests.filter(due_on__lt=timezone.localdate())
    return requests


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
