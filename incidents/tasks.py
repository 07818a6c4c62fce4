"""Celery tasks of security incidents (X5): thin wrappers around incidents.services, resumable.

`continue_incident` takes an incident as far as it can go now (people found, messages planned, due
messages tried, counted when nothing is pending); the periodic `continue_incidents` (every minute,
settings.CELERY_BEAT_SCHEDULE) calls it for every incident not yet told, so retries happen when
due and work cut short by a lost worker resumes.
"""
from celery import shared_task

from core.tasking import EnterpriseTask
from incidents import services
from incidents.models import Incident


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def continue_incident(incident_id: int) -> str:
    incident = Incident.objects.get(pk=incident_id)
    if incident.told_at is None:
        services.resolve_affected(actor=services.INCIDENT_WORK, incident=incident)
        services.plan_deliveries(actor=services.INCIDENT_WORK, incident=incident)
        services.send_due_deliveries(actor=services.INCIDENT_WORK, incident=incident)
        services.finish_if_told(actor=services.INCIDENT_WORK, incident=incident)
    return Incident.objects.get(pk=incident_id).status


@shared_task(base=EnterpriseTask)
def continue_incidents() -> int:
    """Periodic: every incident of this enterprise not yet told goes on."""
    pending = list(Incident.objects.filter(told_at__isnull=True).values_list("pk", flat=True))
    for incident_id in pending:
        continue_incident(incident_id)
    return len(pending)


@shared_task(base=EnterpriseTask, acks_late=True, reject_on_worker_lost=True)
def open_platform_incident_copy(reference: str) -> int:
    """This enterprise's copy of a platform incident, then telling its people."""
    incident = services.open_platform_incident_copy(actor=services.PLATFORM_RELAY, reference=reference)
    return incident.pk
