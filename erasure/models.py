"""Erasure jobs (issue 12, R4/R5): one person's erasure and its resumable steps; minors' cases (M2)."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import PI, Category, Erasure, personal_data


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

    job = models.ForeignKey(ErasureJob, db_index=False, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    counts = models.JSONField(default=dict)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "name"], name="erasure_step_once_per_job")]


# M2: what the case says about the person is kept as the proof that the promise was kept; once the
# person is erased the row points to their tombstone and holds no personal value (the note goes).
@personal_data(
    subject="person",
    fields={"note": PI(Category.BASIC, purpose="minor_protection", erasure=Erasure.ANONYMISE, replacement="",
                       note="what the administrator noted when recording a guardian's report or deciding")},
    not_personal={
        "found_by": "how the case was found (real-name data or a guardian's report)",
        "status": "open, confirmed or dismissed: once the person is erased, about a tombstone",
        "found_at": "when the case was opened", "decided_at": "when it was decided",
        "decided_by_system": "the name of the system work that decided (a child under 14, found in real-name data)",
        "account_disabled": "M1: whether the finding disabled the account (an edit stating 14 or 15)",
        "erasure_job": "the erasure the confirmation started (its job names no one)",
    },
    actor_links={"reported_by": "the administrator who recorded a guardian's report",
                 "decided_by": "the administrator who confirmed or dismissed the case"},
)
class MinorCase(models.Model):
    """M2: a person whom real-name data or a guardian's report shows to be a minor, to verify.

    Opened by erasure.services (`open_minor_cases`, `record_guardian_report`); the enterprise
    manager confirms it (the person is erased at once) or dismisses it (the data was wrong); for a
    16- or 17-year-old, recording the guardian's consent closes it (M1: the account may be used). A
    child under 14 found in real-name data is confirmed and erased at once by system work."""

    class FoundBy(models.TextChoices):
        REAL_NAME_DATA = "real_name_data", _("Real-name data")
        GUARDIAN_REPORT = "guardian_report", _("A guardian's report")

    class Status(models.TextChoices):
        OPEN = "open", _("To verify")
        CONFIRMED = "confirmed", _("Confirmed a minor: information erased")
        DISMISSED = "dismissed", _("Not a minor: dismissed")
        GUARDIAN_CONSENTED = "guardian_consented", _("A minor of 16 or 17: the guardian's consent is recorded")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    found_by = models.CharField(max_length=20, choices=FoundBy.choices)
    found_at = models.DateTimeField(default=timezone.now)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    # M1: an edit stating 14 or 15 disabled the account; a dismissal (the data was wrong) enables it.
    account_disabled = models.BooleanField(default=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_by_system = models.CharField(max_length=100, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    erasure_job = models.ForeignKey(ErasureJob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["found_at", "id"]
        constraints = [models.UniqueConstraint(fields=["person"], condition=models.Q(status="open"),
                                               name="minor_case_one_open_per_person")]
