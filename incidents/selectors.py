"""What the incident pages read (X5): incidents, their deliveries and the public announcements."""
from __future__ import annotations

from django.db.models import Count, QuerySet

from access.capabilities import Capability, require
from incidents.models import Delivery, Incident, PublicAnnouncement


def incidents_for(actor) -> QuerySet[Incident]:
    """Every incident of this schema, newest first, for someone who handles incidents."""
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    return Incident.objects.all()


def incident_for(actor, pk) -> Incident:
    """One incident; Incident.DoesNotExist when there is none with `pk`."""
    return incidents_for(actor).get(pk=pk)


def delivery_summary(incident: Incident) -> list[dict]:
    """How many messages went, are pending or failed, per recipient and channel."""
    return list(Delivery.objects.filter(affected__incident=incident).values("recipient", "channel", "status")
                .annotate(count=Count("id")).order_by("recipient", "channel", "status"))


def public_announcements() -> QuerySet[PublicAnnouncement]:
    """X5: what the platform host shows the public (the public schema's announcements)."""
    return PublicAnnouncement.objects.all()
