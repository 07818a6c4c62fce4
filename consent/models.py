"""Consent: the purposes people are asked about, the append-only ledger of their answers, the
legal bases of processing without consent, and the record of every disclosure to a third party.

The three record tables (ConsentEvent, LegalBasisRecord, Disclosure) are append-only: the
database refuses UPDATE and DELETE on them (trigger in migration 0001); only
consent.services.erasure.erase_consent_records_of may delete, for lawful erasure of a person
(R5/E9).
PurposeRevision, what each revision of a purpose said, is append-only too (migration 0002).
"""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from privacy.registry import PI, Category, Erasure, RetentionClass, personal_data

CODE_VALIDATOR = RegexValidator(r"^[a-z][a-z0-9_.-]{1,79}$", _("Use lower-case letters, digits, dots, hyphens and underscores."))


class LegalBasis(models.TextChoices):
    """C12 (Q 2(7), Z "Exceptions"): the only grounds for processing without consent."""

    LEGAL_OBLIGATION = "legal_obligation", _("Fulfilling a legal or regulatory obligation")
    NATIONAL_SECURITY = "national_security", _("National security or defence")
    PUBLIC_SAFETY_HEALTH = "public_safety_health", _("Public safety, public health or major public interest")
    CRIMINAL_INVESTIGATION = "criminal_investigation", _("Criminal investigation, prosecution, trial or enforcement")
    VITAL_INTERESTS = "vital_interests", _("Protecting life or property when consent cannot be obtained")
    SELF_DISCLOSED = "self_disclosed", _("Information the person disclosed to the public")
    CONTRACT_NECESSITY = "contract_necessity", _("Necessary to conclude or perform a contract at the person's request")
    LAWFULLY_PUBLIC = "lawfully_public", _("Collected from lawfully public information")


MAINLAND_CHINA = "CN"

_CATALOGUE_TEXT = "catalogue text about a recipient or purpose, identifies nobody"


@personal_data(subject=None, fields={}, reason=_CATALOGUE_TEXT,
               not_personal={"name_en": _CATALOGUE_TEXT, "name_zh_hans": _CATALOGUE_TEXT})
class Recipient(models.Model):
    """A third party that may receive personal information (C9): partner, application or affiliate."""

    class Kind(models.TextChoices):
        PARTNER = "partner", _("Partner")
        THIRD_PARTY_APPLICATION = "third_party_application", _("Third-party application")
        AFFILIATE = "affiliate", _("Affiliate")

    code = models.CharField(max_length=80, unique=True, validators=[CODE_VALIDATOR])
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name_en = models.CharField(max_length=200)
    name_zh_hans = models.CharField(max_length=200)
    purpose_en = models.CharField(max_length=300)
    purpose_zh_hans = models.CharField(max_length=300)
    pi_types = ArrayField(models.CharField(max_length=40), default=list)
    # S1: where the recipient keeps what it receives. Anything but mainland China is a cross-border
    # transfer: consent.services.sharing refuses it for people without the separate authorisation.
    region = models.CharField(_("region"), max_length=40, default=MAINLAND_CHINA)
    # S1: how people exercise their rights with a recipient outside mainland China (shown to them).
    rights_abroad_en = models.TextField(blank=True, default="")
    rights_abroad_zh_hans = models.TextField(blank=True, default="")
    is_registered_by_enterprise = models.BooleanField(default=False, editable=False)
    # R3: where deletion notices are POSTed. The signing secret is stored wrapped (AES-GCM) by the
    # privacy master key, like the per-person data keys (privacy.crypto): a database copy alone
    # cannot forge or read it. Set with consent.services.deletion_notices.set_webhook.
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    webhook_secret_sealed = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    revised_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self):
        return self.code

    def name(self, language: str) -> str:
        return self.name_zh_hans if language.lower().startswith("zh") else self.name_en

    def purpose(self, language: str) -> str:
        return self.purpose_zh_hans if language.lower().startswith("zh") else self.purpose_en

    @property
    def is_cross_border(self) -> bool:
        """S1: the recipient keeps what it receives outside mainland China."""
        return self.region != MAINLAND_CHINA


@personal_data(subject=None, fields={}, reason=_CATALOGUE_TEXT,
               not_personal={"name_en": _CATALOGUE_TEXT, "name_zh_hans": _CATALOGUE_TEXT})
class Purpose(models.Model):
    """One reason for processing personal information that people can consent to (or that is basic)."""

    class Kind(models.TextChoices):
        BASIC = "basic", _("Basic service")
        DEVICE_PERMISSION = "device_permission", _("Device permission")
        SENSITIVE = "sensitive", _("Sensitive personal information")
        FEATURE = "feature", _("Additional function")
        SHARING = "sharing", _("Sharing with a third party")
        DISCLOSURE = "disclosure", _("Public disclosure")
        MARKETING = "marketing", _("Recommendations and marketing")

    class SensitiveCategory(models.TextChoices):
        # C2 (Q 1(1)8)
        ID_NUMBER = "id_number", _("ID number")
        WHEREABOUTS = "whereabouts", _("Whereabouts and location")
        BIOMETRICS = "biometrics", _("Biometrics (face, fingerprint)")
        BANK_ACCOUNT = "bank_account", _("Bank account")
        PROPERTY = "property", _("Property information")
        TRANSACTIONS = "transactions", _("Transaction information")

    code = models.CharField(max_length=80, unique=True, validators=[CODE_VALIDATOR])
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name_en = models.CharField(max_length=200)
    name_zh_hans = models.CharField(max_length=200)
    statement_en = models.TextField()
    statement_zh_hans = models.TextField()
    source = models.CharField(max_length=40, blank=True, help_text="Policy section the purpose comes from.")
    is_sensitive = models.BooleanField(default=False)
    sensitive_category = models.CharField(max_length=20, choices=SensitiveCategory.choices, blank=True)
    covers = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    requires = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.PROTECT, related_name="purposes")
    legal_basis = models.CharField(max_length=30, choices=LegalBasis.choices, blank=True)
    revision = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    is_from_catalogue = models.BooleanField(default=True, editable=False)
    definition_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revised_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            # Only the basic purpose needs no consent, and it names its legal basis (C1, C12).
            models.CheckConstraint(
                condition=(models.Q(kind="basic") & ~models.Q(legal_basis=""))
                | (~models.Q(kind="basic") & models.Q(legal_basis="")),
                name="purpose_c1_basic_names_legal_basis",
            ),
            models.CheckConstraint(
                condition=(models.Q(is_sensitive=True) & ~models.Q(sensitive_category=""))
                | (models.Q(is_sensitive=False) & models.Q(sensitive_category="")),
                name="purpose_c2_sensitive_has_category",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def is_basic(self) -> bool:
        return self.kind == self.Kind.BASIC

    @property
    def needs_explicit_confirmation(self) -> bool:
        """C2/C9/C11: separate, explicit consent — the person confirms this one purpose on its own."""
        return self.is_sensitive or self.kind in (self.Kind.SHARING, self.Kind.DISCLOSURE)

    def name(self, language: str) -> str:
        return self.name_zh_hans if language.lower().startswith("zh") else self.name_en

    def statement(self, language: str) -> str:
        return self.statement_zh_hans if language.lower().startswith("zh") else self.statement_en


class AppendOnlyQuerySet(models.QuerySet):
    """Ledger rows are never changed or deleted through the ORM (the database refuses it too)."""

    def update(self, **kwargs):
        raise ValidationError(_("Consent records are append-only."))

    def delete(self):
        raise ValidationError(_("Consent records are append-only."))


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Consent records are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Consent records are append-only."))


@personal_data(subject=None, fields={}, reason="what a purpose said when people were asked", not_personal={
    "name_en": _CATALOGUE_TEXT, "name_zh_hans": _CATALOGUE_TEXT,
    "recipient_name_en": _CATALOGUE_TEXT, "recipient_name_zh_hans": _CATALOGUE_TEXT})
class PurposeRevision(AppendOnlyModel):
    """C6/C9/C11: what one revision of a purpose said, as people were asked to agree to it.

    A consent receipt quotes the revision its event was for (ConsentEvent.purpose_revision), not
    the purpose as it reads today. Written by consent.services.catalogue when a purpose is created or
    gets a new revision; append-only like the ledger it explains (trigger in migration 0002).
    """

    purpose = models.ForeignKey(Purpose, db_index=False, on_delete=models.PROTECT, related_name="revisions")
    revision = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=Purpose.Kind.choices)
    name_en = models.CharField(max_length=200)
    name_zh_hans = models.CharField(max_length=200)
    statement_en = models.TextField()
    statement_zh_hans = models.TextField()
    is_sensitive = models.BooleanField(default=False)
    sensitive_category = models.CharField(max_length=20, choices=Purpose.SensitiveCategory.choices, blank=True)
    covers = ArrayField(models.CharField(max_length=120), default=list, blank=True)
    # The recipient as this revision named it (C9): its texts and types change with revise_recipient.
    recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recipient_name_en = models.CharField(max_length=200, blank=True)
    recipient_name_zh_hans = models.CharField(max_length=200, blank=True)
    recipient_purpose_en = models.CharField(max_length=300, blank=True)
    recipient_purpose_zh_hans = models.CharField(max_length=300, blank=True)
    pi_types = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purpose", "-revision"]
        constraints = [models.UniqueConstraint(fields=["purpose", "revision"], name="purposerevision_unique")]

    def __str__(self):
        return f"{self.purpose_id} r{self.revision}"

    @staticmethod
    def fields_of(purpose) -> dict:
        """What `purpose` (also a migration's historical one) says now, as the fields of its revision."""
        recipient = purpose.recipient
        return {
            "purpose": purpose, "revision": purpose.revision, "kind": purpose.kind, "name_en": purpose.name_en,
            "name_zh_hans": purpose.name_zh_hans, "statement_en": purpose.statement_en,
            "statement_zh_hans": purpose.statement_zh_hans, "is_sensitive": purpose.is_sensitive,
            "sensitive_category": purpose.sensitive_category, "covers": list(purpose.covers), "recipient": recipient,
            "recipient_name_en": recipient.name_en if recipient else "",
            "recipient_name_zh_hans": recipient.name_zh_hans if recipient else "",
            "recipient_purpose_en": recipient.purpose_en if recipient else "",
            "recipient_purpose_zh_hans": recipient.purpose_zh_hans if recipient else "",
            "pi_types": list(recipient.pi_types) if recipient else [],
        }


@personal_data(
    subject="person",
    fields={
        # C6: the record of an answer is kept as long as the consent it proves matters (it is the
        # evidence that processing was lawful); withdrawal keeps it, erasing the person deletes it
        # (consent.services.erasure.erase_consent_records_of: the trigger's one exception).
        "device_id": PI(Category.BASIC, purpose="consent_record", retention=RetentionClass.PURPOSE,
                        erasure=Erasure.DELETE, note="device the answer was given on"),
        "ip_address": PI(Category.BASIC, purpose="consent_record", retention=RetentionClass.PURPOSE,
                         erasure=Erasure.DELETE, note="address the answer came from"),
    },
    actor_links={"recorded_by": "the administrator who recorded an answer at the person's request"},
)
class ConsentEvent(AppendOnlyModel):
    """C6: one answer given (or withdrawn), or one policy version accepted, by one person."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("Consent given")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")
        POLICY_ACCEPTED = "policy_accepted", _("Privacy policy accepted")

    class Channel(models.TextChoices):
        MOBILE = "mobile", _("Mobile app")
        CONSOLE = "console", _("Web console")
        ADMIN_ON_REQUEST = "admin_on_request", _("Administrator, at the person's request")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    purpose = models.ForeignKey(Purpose, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    purpose_revision = models.PositiveIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    # The policy version in force when the answer was given (public schema id and its label).
    policy_version_id = models.BigIntegerField(null=True, blank=True)
    policy_version_label = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    device_id = models.CharField(max_length=128, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    # For an answer an administrator records at the person's request: where that request is kept
    # (e.g. the number of the signed form); a reference, never personal information.
    request_reference = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    # Tamper evidence: each event's digest covers its content and the person's previous digest.
    previous_digest = models.CharField(max_length=64, blank=True)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "purpose", "-id"], name="consentevent_person_purpose")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(action="policy_accepted") & models.Q(purpose__isnull=True)
                           & models.Q(policy_version_id__isnull=False))
                | (models.Q(action__in=["granted", "withdrawn"]) & models.Q(purpose__isnull=False)
                   & models.Q(purpose_revision__isnull=False)),
                name="consentevent_shape",
            ),
            models.CheckConstraint(
                condition=~models.Q(channel="admin_on_request") | models.Q(recorded_by__isnull=False),
                name="consentevent_admin_channel_names_recorder",
            ),
        ]

    def __str__(self):
        return f"{self.action} {self.purpose_id or self.policy_version_label} #{self.pk}"


@personal_data(
    subject="person", fields={}, actor_links={"recorded_by": "the administrator who recorded the legal basis"},
    erasure=Erasure.DELETE,
    note="C6/C9/C12: kept as evidence while the person's records are; deleted with them by "
         "consent.services.erasure.erase_consent_records_of",
)
class LegalBasisRecord(AppendOnlyModel):
    """C12: processing a person's information for a purpose without their consent, and why."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="legal_basis_records")
    purpose_revision = models.PositiveIntegerField()
    basis = models.CharField(max_length=30, choices=LegalBasis.choices)
    # E.g. the number of the authority's request; a reference, never personal information.
    reference = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "purpose", "-id"], name="legalbasis_person_purpose")]


@personal_data(
    subject="person", fields={}, actor_links={"disclosed_by": "who disclosed the information"},
    erasure=Erasure.DELETE,
    note="C6/C9/C12: kept as evidence while the person's records are; deleted with them by "
         "consent.services.erasure.erase_consent_records_of",
)
class Disclosure(AppendOnlyModel):
    """C9/C11: personal information given to a third party or to the public — who, what, to whom,
    when and under which consent (or legal basis). Field names only, never values."""

    class Occasion(models.TextChoices):
        APPLICATION_SWITCHED_ON = "application_switched_on", _("Application switched on")
        CONSENT_GIVEN = "consent_given", _("Consent given for an application already on")
        SERVICE_USED = "service_used", _("A partner's service was used")
        PUBLIC_DISCLOSURE = "public_disclosure", _("Public disclosure")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(Recipient, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="disclosures")  # none: disclosed to the public (C11)
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="disclosures")
    purpose_revision = models.PositiveIntegerField()
    pi_types = ArrayField(models.CharField(max_length=40))
    occasion = models.CharField(max_length=30, choices=Occasion.choices)
    consent_event = models.ForeignKey(ConsentEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    legal_basis_record = models.ForeignKey(LegalBasisRecord, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+")
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    disclosed_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "-id"], name="disclosure_person")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_event__isnull=False) | models.Q(legal_basis_record__isnull=False),
                name="disclosure_c9_has_consent_or_legal_basis",
            ),
        ]


@personal_data(subject="person", fields={}, not_personal={"application_code": "code of an application, not of a person"},
               erasure=Erasure.DELETE,
               note="C9: who an application is on for; deleted with the person's consent records")
class ApplicationAudience(models.Model):
    """Who a third-party application is switched on for, as orgdata last told us (E6 → C9)."""

    application_code = models.CharField(max_length=80)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_enabled = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application_code", "person"],
                                               name="applicationaudience_unique")]


@personal_data(
    subject="person", fields={}, erasure=Erasure.KEEP_LEGAL_BASIS,
    note="R3: the proof that each recipient was told to delete; names only the erased person's "
         "tombstone id, never their information",
)
class DeletionNotice(models.Model):
    """R3: the outbox of deletion notices — one per recipient that received an erased person's
    information (the Disclosure ledger says who), delivered by consent.tasks.deliver_deletion_notice."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="deletion_notices")
    # The account survives erasure as a tombstone, so the id stays valid.
    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # An HTTP status ("http_500") or a transport error class ("timeout"): never a response body,
    # which could echo personal information.
    last_error_code = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "-id"], name="deletionnotice_person")]

    def __str__(self):
        return f"deletion notice #{self.pk} to {self.recipient_id} ({self.status})"


# M1: the guardian's details are the guardian's personal information, kept only for this person's
# account and deleted with the person (the erasure engine deletes the row by this declaration).
_GUARDIAN = "minor_protection"


@personal_data(
    subject="person",
    fields={
        "guardian_name": PI(Category.BASIC, purpose=_GUARDIAN, erasure=Erasure.DELETE,
                            note="the guardian's name (the guardian's personal information)"),
        "relationship": PI(Category.BASIC, purpose=_GUARDIAN, erasure=Erasure.DELETE,
                           note="how the guardian is related to the person"),
        "contact": PI(Category.BASIC, purpose=_GUARDIAN, erasure=Erasure.DELETE,
                      note="how to reach the guardian (the guardian's personal information)"),
        "evidence": PI(Category.BASIC, purpose=_GUARDIAN, erasure=Erasure.DELETE,
                       note="what was shown to prove the guardianship and the consent"),
    },
    not_personal={
        "purposes": "codes of the consent catalogue the guardian agreed to",
        "recorded_at": "when the consent was recorded", "withdrawn_at": "when it was withdrawn",
    },
    actor_links={"verified_by": "the administrator who verified the guardian's consent",
                 "withdrawn_by": "the administrator who recorded its withdrawal"},
)
class GuardianConsent(models.Model):
    """M1: a guardian's consent to a 16- or 17-year-old's account (Q 7, Q 1(2)1). Until one is in
    force (withdrawn_at empty) the account is inactive; the purposes it lists are the sensitive and
    additional ones the person may then consent to themselves (the basic ones are implied).
    Recorded and withdrawn by consent.services.guardians; at most one in force per person."""

    class Relationship(models.TextChoices):
        PARENT = "parent", _("Parent")
        OTHER_GUARDIAN = "other_guardian", _("Other legal guardian")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    guardian_name = models.CharField(max_length=100)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    contact = models.CharField(max_length=100)
    evidence = models.CharField(max_length=300)
    purposes = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["person"], condition=models.Q(withdrawn_at__isnull=True),
                                               name="guardian_consent_one_in_force_per_person")]

    def __str__(self):
        return f"guardian consent #{self.pk}"


@personal_data(subject=None, fields={}, reason="counts and a recipient's code: identifies nobody",
               not_personal={"dataset": "the kind of data sent, identifies nobody"})
class Transfer(models.Model):
    """C9/S1: one sending of payroll or insurance data to a registered recipient, run by a Celery
    task (consent.tasks.send_transfer). Its summary counts people, never names them: who received
    what is the Disclosure ledger."""

    class Dataset(models.TextChoices):
        PAYROLL = "payroll", _("Payroll")
        INSURANCE = "insurance", _("Insurance")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")

    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="transfers")
    dataset = models.CharField(max_length=20, choices=Dataset.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    sent_count = models.PositiveIntegerField(default=0)
    skipped_without_consent = models.PositiveIntegerField(default=0)
    skipped_without_cross_border = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]


BOARD_PURPOSE = "public.employee_of_the_month"


@personal_data(subject="person", fields={}, erasure=Erasure.DELETE,
               note="C11: who the enterprise chose for its public board; shown only with the person's "
                    "separate consent (consent.selectors.public_board)")
class BoardEntry(models.Model):
    """C11: a person the enterprise chose as employee of the month."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")
    chosen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "month"], name="boardentry_unique")]
