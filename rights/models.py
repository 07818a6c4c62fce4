"""Rights requests (issue 13): what an individual asks of the enterprise about their personal
information, verified, tracked against its due date, answered or refused for a recorded reason."""
import uuid

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedTextField, PersonKeyField
from privacy.registry import PI, Category, Erasure, Mask, RetentionClass, personal_data

_RIGHTS = "rights_requests"


def result_upload_path(instance, filename: str) -> str:
    # Namespaced by enterprise schema, named by a random id: the name reveals nothing of its owner.
    return f"{connection.schema_name}/rights/results/{uuid.uuid4().hex}.zip"


@personal_data(
    subject="person",
    fields={
        "details": PI(Category.BASIC, purpose=_RIGHTS, retention=RetentionClass.TRANSACTION,
                      retention_starts="submitted_at", erasure=Erasure.ANONYMISE, replacement={}),
        "answer": PI(Category.BASIC, purpose=_RIGHTS, retention=RetentionClass.TRANSACTION,
                     retention_starts="submitted_at", erasure=Erasure.ANONYMISE, replacement=""),
        "refusal_explanation": PI(Category.BASIC, purpose=_RIGHTS, retention=RetentionClass.TRANSACTION,
                                  retention_starts="submitted_at", erasure=Erasure.ANONYMISE, replacement=""),
        "result_file": PI(Category.BASIC, purpose=_RIGHTS, retention=RetentionClass.TRANSACTION,
                          retention_starts="submitted_at", erasure=Erasure.ANONYMISE, replacement=""),
        # R1/R8: the value a correction asks for may be an ID number (C2), so it is held as sensitive,
        # encrypted under the person's key; surfaces show it as the corrected field itself is shown
        # (rights.corrections.shown_value), never as stored.
        "correct_value": PI(Category.SENSITIVE, purpose=_RIGHTS, retention=RetentionClass.TRANSACTION,
                            retention_starts="submitted_at", erasure=Erasure.CRYPTO_SHRED, mask=Mask.HIDDEN),
    },
    erasure=Erasure.KEEP_LEGAL_BASIS,
    actor_links={"decided_by": "the administrator or PI protection contact who decided",
                 "repeats": "the earlier request this one repeats"},
    not_personal={
        "kind": "which right is exercised", "status": "where the request stands",
        "refusal_reason": "one of the listed reasons (R8)", "legal_exception": "one of the listed exceptions (R9)",
        "repeated": "whether it repeats an earlier request", "excessive": "whether it was flagged excessive",
        "erasure_job": "the erasure job the request started",
        "escalation_level": "how far the request was escalated (near or past its date)",
        "dates_estimated": "whether its dates were counted without the official calendar",
    },
)
class RightsRequest(models.Model):
    """One request of one person. Kept (the proof that it was answered in time) for the
    transaction-records class, its personal contents anonymised when the person is erased."""

    class Kind(models.TextChoices):
        COPY = "copy", _("A copy of my personal information")
        GENERATED = "generated", _("Information generated while I used the service")
        CORRECTION = "correction", _("Correct or supplement my information")
        DELETION = "deletion", _("Delete my personal information")
        ACCOUNT_CANCELLATION = "account_cancellation", _("Cancel my account")
        AUTOMATED_DECISION = "automated_decision", _("An automated decision: explain, object or appeal")
        NEXT_OF_KIN = "next_of_kin", _("A close relative of a deceased person")
        COMPLAINT = "complaint", _("A complaint")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # The person's information was erased (by another request or by the enterprise) while this
        # one was open: nothing is left to act on (the history's "closed_by_erasure" step says so).
        CLOSED = "closed", _("Closed: the person's information was erased")
        # M1/M2: a correction asked for an ID number stating an age under 16: not stored, the person
        # protected as the minors rules say (rights.services._protect_minor; the answer says which).
        CLOSED_UNDER_AGE = "closed_under_age", _("Closed: the person is under the legal working age")

    class RefusalReason(models.TextChoices):
        # R8: the only reasons a request may be refused for.
        BASELESS = "baseless", _("Baseless")
        REPEATED = "repeated", _("Repeated without reason")
        EXCESSIVE = "excessive", _("Excessive")
        HARMS_OTHERS = "harms_others", _("Would harm others' legitimate rights")
        UNREALISTIC = "unrealistic", _("Unrealistic")

    class LegalException(models.TextChoices):
        # R9: requests are not answered when one of these applies.
        NATIONAL_SECURITY = "national_security", _("National security or defence")
        PUBLIC_SAFETY = "public_safety", _("Public safety, public health or major public interest")
        CRIMINAL_INVESTIGATION = "criminal_investigation", _("Criminal investigation, prosecution, trial or enforcement")
        MALICE_OR_ABUSE = "malice_or_abuse", _("Proven subjective malice or abuse of rights")
        SERIOUS_HARM = "serious_harm", _("Serious harm to the legitimate rights of others")
        TRADE_SECRETS = "trade_secrets", _("Trade secrets")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rights_requests")
    # The person's data key (set from their account), under which a correction's value is encrypted.
    person_key = PersonKeyField(null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    details = models.JSONField(_("details"), default=dict, blank=True)
    correct_value = EncryptedTextField(_("correct value"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    due_on = models.DateField(_("due"))
    # R5: an account cancellation has two deadlines: the account within 1 working day, the
    # information within 7.
    erase_by = models.DateField(_("information erased by"), null=True, blank=True)
    repeats = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    repeated = models.BooleanField(_("repeats an earlier request"), default=False)
    excessive = models.BooleanField(_("flagged excessive"), default=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    refusal_reason = models.CharField(_("refusal reason"), max_length=20, choices=RefusalReason.choices, blank=True)
    legal_exception = models.CharField(_("legal exception"), max_length=30, choices=LegalException.choices, blank=True)
    refusal_explanation = models.TextField(_("explanation"), blank=True)
    result_file = models.FileField(_("result file"), upload_to=result_upload_path, max_length=200, blank=True)
    result_expires_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Escalation(models.TextChoices):
        NEAR = "near", _("Due soon")
        OVERDUE = "overdue", _("Overdue")

    # How far the request was last escalated: near its date, then again once past it.
    escalation_level = models.CharField(max_length=10, choices=Escalation.choices, blank=True, db_default="")
    # Its dates were counted Monday to Friday, for a year the official calendar did not cover yet
    # (rights.deadlines): recounted once the calendar covers it.
    dates_estimated = models.BooleanField(default=False, db_default=False)
    # The erasure the request started (deletion, account cancellation, a relative's deletion).
    erasure_job = models.ForeignKey("erasure.ErasureJob", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="rights_request_open_due"),
            # The console's banner (every page, for whoever handles requests): open requests by the
            # date that is watched, the erasure date of an account cancellation (R5) or the due date.
            models.Index(Coalesce("erase_by", "due_on"), name="rights_request_open_watched",
                         condition=Q(status__in=["submitted", "in_progress"])),
        ]
        # Given to the personal-information protection contact when a sub-administrator is appointed as
        # such (access.capabilities HANDLE_RIGHTS_REQUESTS).
        permissions = [("handle_rights_requests", "Handle individuals' rights requests")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.IN_PROGRESS)


@personal_data(
    subject="request.person",
    fields={"note": PI(Category.BASIC, purpose=_RIGHTS, retention=RetentionClass.TRANSACTION,
                       retention_starts="at", erasure=Erasure.ANONYMISE, replacement="")},
    erasure=Erasure.KEEP_LEGAL_BASIS,
    actor_links={"actor": "who took the step (the person, an administrator, system work)"},
    not_personal={"event": "the step's name", "actor_label": "the actor as the audit log names it"},
)
class RequestEvent(models.Model):
    """One step in a request's history, shown to the person and in the console."""

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_label = models.CharField(max_length=80)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


@personal_data(
    subject="person",
    fields={"subject_line": PI(Category.BASIC, purpose=_RIGHTS, retention=RetentionClass.PURPOSE,
                               erasure=Erasure.DELETE),
            "body": PI(Category.BASIC, purpose=_RIGHTS, retention=RetentionClass.PURPOSE,
                       erasure=Erasure.DELETE)},
    erasure=Erasure.DELETE,
    not_personal={"read_at": "when the person read it", "request": "the request it is about",
                  "topic": "which function sent it", "link": "where in the app it points"},
)
class InboxMessage(models.Model):
    """A message to the person in the app's inbox: every change of their requests, and whatever
    another function delivers through `rights.inbox.deliver` (its `topic` says which)."""

    class Topic(models.TextChoices):
        RIGHTS = "rights", _("Your requests")
        INCIDENT = "incident", _("Security incident")
        APPROVAL = "approval", _("Approvals")
        ANNOUNCEMENT = "announcement", _("Announcements")
        ACCOUNT = "account", _("Your account")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox")
    request = models.ForeignKey(RightsRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.RIGHTS)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    subject_line = models.CharField(max_length=200)
    body = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


@personal_data(
    subject="person",
    fields={"instructions": PI(Category.BASIC, purpose=_RIGHTS, erasure=Erasure.DELETE),
            "relative_contact": PI(Category.BASIC, purpose=_RIGHTS, erasure=Erasure.DELETE)},
    erasure=Erasure.DELETE,
    not_personal={"updated_at": "when it was last changed",
                  "nothing_disclosed": "R7: whether the person asked that nothing be disclosed to relatives"},
)
class PreDeathArrangement(models.Model):
    """R7: what the person wants done with their information after their death, and whom to trust."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    instructions = models.TextField(_("instructions"), max_length=2000)
    relative_contact = models.CharField(_("close relative to contact"), max_length=200, blank=True)
    # R7: honoured when a relative asks to access or copy: an administrator may disclose only with a
    # recorded override reason (rights.services.authorise).
    nothing_disclosed = models.BooleanField(_("disclose nothing to my relatives"), default=False)
    updated_at = models.DateTimeField(auto_now=True)


@personal_data(
    subject="person",
    fields={"contact_channel": PI(Category.BASIC, purpose=_RIGHTS, erasure=Erasure.DELETE)},
    erasure=Erasure.DELETE,
    actor_links={"appointed_by": "the enterprise manager who appointed the contact"},
    not_personal={"slot": "there is one contact per enterprise", "appointed_at": "when they were appointed"},
)
class ProtectionContact(models.Model):
    """R10: the enterprise's personal-information protection contact, a sub-administrator the manager
    appoints. Employees see their name and the channel published here; complaints go to them."""

    slot = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_channel = models.CharField(_("published contact channel"), max_length=200)
    appointed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    appointed_at = models.DateTimeField(auto_now=True)
