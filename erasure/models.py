"""Erasure jobs (issue 12, R4/R5): one person's erasure and its resumable steps."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.registry import personal_data


@personal_data(
    subject=None, fields={},
    actor_links={"person": "the account erased: kept as a tombstone, so this link names no one once done",
                 "requested_by": "the administrator who asked for the erasure (empty for system work)"},
    not_personal={
        "reason": "why the erasure was asked (a rights request, the end of a retention class); names no one",
        "requested_by_system": "the name of the system work that asked",
        "identifier_digests": "SHA-256 of the person's former blind-index values, never the values: what "
                              "the residue scan looks for",
        "residue": "table.field names still holding the person's information; never a value",
        "kept": "table.field names kept under a legal basis (isolated), never a value",
    },
)
class ErasureJob(models.Model):
    """One person's erasure, run step by step by a Celery task (erasure.services)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done, no residue")
        FAILED = "failed", _("Failed: residue found")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_by_system = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    identifier_digests = models.JSONField(default=dict)
    residue = models.JSONField(default=list)
    kept = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


@personal_data(subject=None, fields={}, reason="the steps of an erasure job: names, counts and times",
               not_personal={"name": "the step's name in erasure.services.STEPS"})
class ErasureStep(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    job = models.ForeignKey(ErasureJob, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    counts = models.JSONField(default=dict)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "name"], name="erasure_step_once_per_job")]
