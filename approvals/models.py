"""Approvals: a person's request (leave, expense, business trip) and the chain that decides it.

The approval log (X4: "approval and attendance logs are kept") is the requests with their steps:
who decided what, when, with which comment. It is kept for the transaction-records class counted
from the submission (audit.retention derives the rule from the declarations below: after it the
personal contents are anonymised); erasing the applicant before that anonymises the contents and
keeps the rows, the proof of what was decided.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.fields import EncryptedJSONField, EncryptedTextField, PersonKeyField
from privacy.registry import PI, Category, Erasure, Mask, RetentionClass, personal_data

_APPROVALS = "approvals"


class Kind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    EXPENSE = "expense", _("Expense claim")
    BUSINESS_TRIP = "business_trip", _("Business trip")


@personal_data(subject=None, fields={}, actor_links={"changed_by": "the administrator who last switched the kind"},
               not_personal={"kind": "the kind of request", "is_enabled": "whether the enterprise offers it"})
class KindSetting(models.Model):
    """Whether the enterprise offers one kind of request (all off until the manager switches one on)."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, unique=True)
    is_enabled = models.BooleanField(_("offered"), default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(auto_now=True)


@personal_data(subject="head", fields={}, erasure=Erasure.DELETE,
               note="X4: who decides first for the people of a department (its direct manager); the row goes "
                    "when the head is erased",
               not_personal={"department": "the department headed"})
class DepartmentHead(models.Model):
    """The direct manager of a department: the first approver for its people (and, when a
    department has none, for the people of the departments below it)."""

    department = models.OneToOneField("orgdata.Department", on_delete=models.CASCADE, related_name="+")
    head = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")


@personal_data(subject="approver", fields={}, erasure=Erasure.DELETE,
               note="X4: a named approver of one kind of request; the row goes when the approver is erased",
               not_personal={"kind": "the kind of request", "position": "the approver's place in the chain"})
class NamedApprover(models.Model):
    """After the department head, the enterprise's named approvers of a kind decide, in order."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["kind", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "approver"], name="named_approver_once_per_kind")]


@personal_data(
    subject="applicant",
    fields={
        # X4: the approval log is a transaction record: kept 3 years from the submission, then its
        # contents are anonymised by the retention job; erasing the applicant anonymises them at once.
        # C2: sensitive (a leave's type and reason can be health, a trip's destination is whereabouts):
        # encrypted under the applicant's person key, never shown on a generic surface (admin, log);
        # the approvals pages show it to the applicant and to approvers the request has reached only.
        "details": PI(Category.SENSITIVE, purpose=_APPROVALS, retention=RetentionClass.TRANSACTION,
                      retention_starts="submitted_at", erasure=Erasure.ANONYMISE, replacement=None,
                      mask=Mask.HIDDEN,
                      note="the form of the kind: dates, amounts, destination (whereabouts), "
                           "leave type and reason (may concern health)"),
    },
    erasure=Erasure.KEEP_LEGAL_BASIS,
    not_personal={"kind": "the kind of request", "status": "where the request stands",
                  "round": "how many times it was submitted", "decided_at": "when the chain finished"},
)
class ApprovalRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned for changes")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()  # the applicant's (approvals.services sets it)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    details = EncryptedJSONField(_("details"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    round = models.PositiveSmallIntegerField(default=1)
    submitted_at = models.DateTimeField(_("submitted"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["applicant", "-submitted_at"], name="approval_applicant_time")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


@personal_data(
    subject="request.applicant",
    fields={
        "comment": PI(Category.BASIC, purpose=_APPROVALS, retention=RetentionClass.TRANSACTION,
                      retention_starts="created_at", erasure=Erasure.ANONYMISE, replacement=None,
                      note="the approver's comment on the applicant's request (encrypted under the "
                           "applicant's person key)"),
    },
    erasure=Erasure.KEEP_LEGAL_BASIS,
    actor_links={"approver": "who decides this step"},
    not_personal={"round": "which submission", "position": "the step's place in the chain",
                  "role": "why this approver is in the chain", "state": "where the step stands",
                  "activated_at": "when it reached the approver", "decided_at": "when it was decided"},
)
class ApprovalStep(models.Model):
    """One approver's step in a request's chain. Exactly one step of a pending request is
    `pending` (the current one); the approver's inbox is their pending steps."""

    class Role(models.TextChoices):
        DEPARTMENT_HEAD = "department_head", _("Department head")
        NAMED = "named", _("Named approver")

    class State(models.TextChoices):
        WAITING = "waiting", _("Not yet reached")
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned for changes")
        SKIPPED = "skipped", _("Not needed")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    round = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField()
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person_key = PersonKeyField()  # the applicant's, as the request's
    role = models.CharField(max_length=20, choices=Role.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    comment = EncryptedTextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "position", "id"]
        indexes = [
            # The approver's inbox: their pending steps, newest first (bench/approval_inbox.py).
            models.Index(fields=["approver", "-activated_at", "-id"], name="approval_step_inbox",
                         condition=models.Q(state="pending")),
        ]
