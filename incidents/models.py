"""Security incidents (X5): what happened, who was affected, how each was told, and the report.

An incident lives in the schema of whoever handles it. Platform staff open one in the public
schema (the Django admin) naming the affected enterprises (`AffectedEnterprise`); each enterprise
gets its own copy (`platform_reference`) in its schema, where its people are resolved and told.
An enterprise's manager opens one for their own enterprise in the console. The public
announcements published when people cannot be reached live in the public schema
(`PublicAnnouncement`), shown on the platform host.
"""
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from privacy.registry import Erasure, personal_data


def report_upload_path(instance, filename: str) -> str:
    # Namespaced by schema, named by a random id.
    return f"{connection.schema_name}/incidents/reports/{uuid.uuid4().hex}.pdf"


@personal_data(
    subject=None, fields={},
    actor_links={"opened_by": "the platform staff member or manager who opened the incident"},
    not_personal={"contact": "how to reach the platform's or enterprise's incident contact (an office, not a person)"},
)
class Incident(models.Model):
    """One personal-information security incident, with what the policies say people are told
    (the type, cause and possible harm; the measures taken; advice; remedies; a contact)."""

    class Kind(models.TextChoices):
        # The policy's words: "leakage, tampering, or loss".
        LEAKAGE = "leakage", _("Leakage")
        TAMPERING = "tampering", _("Tampering")
        LOSS = "loss", _("Loss")

    class Audience(models.TextChoices):
        ENTERPRISE = "enterprise", _("Everyone in the enterprise")
        DEPARTMENTS = "departments", _("Everyone in chosen departments")
        LIST = "list", _("Chosen people")
        DATA = "data", _("Everyone whose data of a category was in a table")

    class Status(models.TextChoices):
        OPENED = "opened", _("Opened: finding the affected people")
        TELLING = "telling", _("Telling the affected people")
        TOLD = "told", _("Everyone told or counted unreachable")

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    # The platform incident this enterprise's copy belongs to ("" for the enterprise's own).
    platform_reference = models.CharField(max_length=40, blank=True, db_index=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    cause = models.TextField(_("cause"))
    possible_harm = models.TextField(_("possible harm"))
    measures_taken = models.TextField(_("measures taken"))
    advice = models.TextField(_("advice to individuals"))
    remedies = models.TextField(_("remedies"))
    contact = models.CharField(_("contact"), max_length=200)
    occurred_on = models.DateField(_("occurred on"), null=True, blank=True)
    audience = models.CharField(_("affected people"), max_length=20, choices=Audience.choices,
                                default=Audience.ENTERPRISE)
    department_ids = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    data_category = models.CharField(_("data category"), max_length=20, blank=True)
    data_table = models.CharField(_("table"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPENED)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    told_at = models.DateTimeField(_("everyone told"), null=True, blank=True)
    affected_count = models.PositiveIntegerField(_("affected people"), default=0)
    reached_count = models.PositiveIntegerField(_("reached"), default=0)
    unreachable_count = models.PositiveIntegerField(_("could not be reached"), default=0)
    guardians_told = models.PositiveIntegerField(_("guardians told"), default=0)
    announced_at = models.DateTimeField(_("public announcement"), null=True, blank=True)
    report_file = models.FileField(_("regulator report"), upload_to=report_upload_path, max_length=200, blank=True)
    report_written_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self):
        return self.reference


@personal_data(subject=None, fields={}, reason="one step of an incident's handling; names no person",
               not_personal={"actor_label": "the actor as the audit log names it (user:<id> or system:<name>)"})
class TimelineStep(models.Model):
    """One step of an incident's handling, for the timeline and the regulator report."""

    LABELS = {
        "opened": _("Opened"), "people_found": _("Affected people found"), "counted": _("Reached and unreachable counted"),
        "announced": _("Publicly announced"), "report_written": _("Regulator report written"),
        "report_downloaded": _("Regulator report downloaded"), "enterprise_counted": _("An enterprise's people counted"),
    }

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(auto_now_add=True)
    step = models.CharField(max_length=40)
    note = models.CharField(max_length=300, blank=True)
    actor_label = models.CharField(max_length=80)

    class Meta:
        ordering = ["at", "id"]

    @property
    def label(self) -> str:
        return str(self.LABELS.get(self.step, self.step))


@personal_data(subject=None, fields={}, reason="an affected enterprise of a platform incident and its counts")
class AffectedEnterprise(models.Model):
    """Public schema: an enterprise a platform incident affects, and how far telling its people got."""

    incident = models.ForeignKey(Incident, db_index=False, on_delete=models.CASCADE, related_name="enterprises")
    schema = models.CharField(max_length=63)
    enterprise_title = models.CharField(max_length=200)
    affected_count = models.PositiveIntegerField(default=0)
    reached_count = models.PositiveIntegerField(default=0)
    unreachable_count = models.PositiveIntegerField(default=0)
    guardians_told = models.PositiveIntegerField(default=0)
    told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "schema"], name="incident_enterprise_once")]


@personal_data(
    subject="person", fields={}, erasure=Erasure.DELETE,
    not_personal={"is_minor": "whether the person was a minor when told (their guardian is told too)",
                  "planned_at": "when their deliveries were planned", "is_reached": "whether a message reached them",
                  "counted_at": "when they were counted reached or unreachable"},
)
class AffectedPerson(models.Model):
    """A person an incident affects. Erased with the person; the incident keeps its counts."""

    incident = models.ForeignKey(Incident, db_index=False, on_delete=models.CASCADE, related_name="affected")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_minor = models.BooleanField(default=False)
    planned_at = models.DateTimeField(null=True, blank=True)
    is_reached = models.BooleanField(default=False)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "person"], name="incident_person_once")]


@personal_data(
    subject="affected.person", fields={}, erasure=Erasure.DELETE,
    not_personal={"channel": "in-app, e-mail or text message", "recipient": "the person or their guardian",
                  "status": "pending, sent or failed", "attempts": "how many times it was tried",
                  "next_attempt_at": "when it is tried again", "failure": "why the last attempt failed (no address)",
                  "sent_at": "when it went"},
)
class Delivery(models.Model):
    """One message to one affected person (or their guardian) through one channel. The address
    is not kept here: it is read where the enterprise keeps it each time the message is tried."""

    class Channel(models.TextChoices):
        INBOX = "inbox", _("In-app message")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message")

    class Recipient(models.TextChoices):
        PERSON = "person", _("The person")
        GUARDIAN = "guardian", _("Their guardian")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    affected = models.ForeignKey(AffectedPerson, db_index=False, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=10, choices=Recipient.choices, default=Recipient.PERSON)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["affected", "channel", "recipient"],
                                               name="incident_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="incident_delivery_due")]


@personal_data(subject=None, fields={}, reason="a public announcement about an incident; names no person",
               not_personal={"enterprise_title": "the enterprise's name, or the platform's",
                             "contact": "the incident contact (an office, not a person)"})
class PublicAnnouncement(models.Model):
    """Public schema: X5, published on the platform host when affected people cannot be reached."""

    reference = models.CharField(max_length=80, unique=True)
    enterprise_title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Incident.Kind.choices)
    title = models.CharField(max_length=200)
    possible_harm = models.TextField()
    measures_taken = models.TextField()
    advice = models.TextField()
    remedies = models.TextField()
    contact = models.CharField(max_length=200)
    unreachable_count = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
