"""Reads of announcements: the person's feed (ordered as their C13 choice says), channels, the sent list."""
from __future__ import annotations

from django.db.models import QuerySet

from access.capabilities import Capability, require
from announcements.models import Announcement, Channel, Delivery, Unsubscription


def feed_of(person, *, is_personalised: bool) -> QuerySet[Delivery]:
    """The announcements delivered to `person`. C13: personalised, those addressed to the person's
    own department come first; not personalised, plain time order, the same for everyone."""
    deliveries = Delivery.objects.filter(person=person).select_related("announcement", "announcement__channel")
    if is_personalised:
        return deliveries.order_by("-is_for_own_department", "-delivered_at", "-id")
    return deliveries.order_by("-delivered_at", "-id")


def channels_with_membership(person) -> list[tuple[Channel, bool]]:
    """Every active channel and whether `person` is on it (they are, unless they left it)."""
    left = set(Unsubscription.objects.filter(person=person).values_list("channel_id", flat=True))
    return [(channel, channel.pk not in left) for channel in Channel.objects.filter(is_active=True)]


def active_channels() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True)


def sent_announcements(viewer) -> QuerySet[Announcement]:
    """The console's list of what was sent (announcements name nobody; the list is the senders')."""
    require(viewer, Capability.SEND_ANNOUNCEMENTS)
    return Announcement.objects.select_related("channel", "sent_by").prefetch_related("addressed__department")
