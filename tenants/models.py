from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from privacy.registry import PI, Category, Erasure, personal_data


class EnterpriseQuerySet(models.QuerySet):
    def ready_for_periodic_work(self):
        """Enterprises whose schema is complete and not on its way out.

        Suspended enterprises still get housekeeping (retention must keep running); enterprises
        being provisioned, cancelled or being cancelled are never reached by periodic work.
        """
        return self.filter(status__in=[Enterprise.Status.ACTIVE, Enterprise.Status.SUSPENDED])

    def being_cancelled(self):
        """Enterprises whose people are being erased (E9): only the work that finishes a
        cancellation runs there (e.g. telling recipients, R3)."""
        return self.filter(status=Enterprise.Status.CANCELLING)


@personal_data(subject=None, fields={}, reason="an enterprise customer's profile; no person's information", not_personal={
    "name": "the enterprise's name, not a person's",
    "schema_name": "the enterprise's database schema",
    "location": "the enterprise's registered location (E1), not a person's whereabouts",
    "name_key": "the enterprise's name as compared for duplicates",
})
class Enterprise(TenantMixin):
    """An enterprise customer: one PostgreSQL schema holds all of its people and their data."""

    class Status(models.TextChoices):
        PROVISIONING = "provisioning", _("Being set up")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLING = "cancelling", _("Being cancelled")
        CANCELLED = "cancelled", _("Cancelled")

    class Plan(models.TextChoices):
        FREE = "free", _("Free")
        PAID = "paid", _("Paid")

    class PersonnelSize(models.TextChoices):
        UP_TO_20 = "1-20", "1–20"
        UP_TO_100 = "21-100", "21–100"
        UP_TO_500 = "101-500", "101–500"
        UP_TO_1000 = "501-1000", "501–1000"
        OVER_1000 = "1000+", "1000+"

    class DataRegion(models.TextChoices):
        # S1: personal information is stored in mainland China unless separately authorised.
        CN_MAINLAND = "cn-mainland", _("Mainland China")

    code = models.SlugField(
        _("enterprise code"), max_length=40, unique=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
                                   _("Use 3–40 lower-case letters, digits and hyphens, starting with a letter."))],
        help_text=_("Employees type this code in the mobile app to find their enterprise."),
    )
    name = models.CharField(_("name"), max_length=200)
    # E1: location, industry type and personnel size are required before basic services work. An
    # enterprise that registered itself (tenants.registration) gives them in its console first;
    # until then tenants.basic_details refuses everything else.
    location = models.CharField(_("location"), max_length=200, blank=True)
    industry = models.CharField(_("industry type"), max_length=100, blank=True)
    personnel_size = models.CharField(_("personnel size"), max_length=10, choices=PersonnelSize.choices, blank=True)
    # E1: the name as compared for duplicates (tenants.validators.enterprise_name_key), kept by save().
    name_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROVISIONING)
    plan = models.CharField(_("plan"), max_length=10, choices=Plan.choices, default=Plan.FREE)
    paid_until = models.DateField(_("paid until"), null=True, blank=True)
    data_region = models.CharField(_("data region"), max_length=20, choices=DataRegion.choices,
                                   default=DataRegion.CN_MAINLAND)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    # Schemas are created by tenants.services.provision_enterprise (cloned from a verified
    # template) and never dropped by a row deletion.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        from tenants.validators import enterprise_name_key

        self.name_key = enterprise_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    @property
    def is_serving(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def missing_basic_details(self) -> list[str]:
        """E1: which of the details basic services need are not given yet (empty once complete)."""
        return [field for field in BASIC_DETAILS if not getattr(self, field)]


# E1: what an enterprise must give before basic services work (Q 2(1)2).
BASIC_DETAILS = ("location", "industry", "personnel_size")


@personal_data(subject=None, fields={}, reason="host names routing to an enterprise")
class Domain(DomainMixin):
    """A host name that routes to one enterprise (or to the platform's public schema)."""

    def __str__(self):
        return self.domain


@personal_data(subject=None, fields={}, reason="an enterprise's cancellation: dates, the steps' counts and names",
               not_personal={
                   "requested_by": "who applied, as an actor label (user:<id> of a tombstone, staff:<id>, system:<name>)",
                   "withdrawn_by": "who withdrew it, as an actor label",
                   "steps": "each step's status and row counts; never a value",
                   "residue": "table.field names still holding personal information; never a value",
                   "archived_rows": "how many rows of each table the legal-hold archive keeps",
               })
class EnterpriseCancellation(models.Model):
    """E9/E10: an enterprise's cancellation, from the application to the legal-hold archive's end.

    Open (neither withdrawn nor finished) until the engine (erasure.enterprise) has erased every
    person; an enterprise has at most one open cancellation. Kept in the public schema: it outlives
    the enterprise's schema, and is what support staff and a regulator read afterwards.
    """

    class Reason(models.TextChoices):
        REQUESTED = "requested", _("Applied for by the enterprise")
        UNPAID = "unpaid", _("Not renewed 30 days after the paid period")
        SERVICE_CESSATION = "service_cessation", _("The service is ceasing")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="cancellations")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    requested_at = models.DateTimeField(_("applied"), auto_now_add=True)
    requested_by = models.CharField(_("applied by"), max_length=80)
    cancel_after = models.DateTimeField(_("cancelled after"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.CharField(_("withdrawn by"), max_length=80, blank=True)
    started_at = models.DateTimeField(_("erasure started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("erasure finished"), null=True, blank=True)
    steps = models.JSONField(default=dict, blank=True)
    residue = models.JSONField(default=list, blank=True)
    archive_schema = models.CharField(_("legal-hold archive"), max_length=63, blank=True)
    archived_rows = models.JSONField(default=dict, blank=True)
    hold_until = models.DateField(_("archive kept until"), null=True, blank=True)
    archive_dropped_at = models.DateTimeField(_("archive dropped"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise"], condition=models.Q(withdrawn_at__isnull=True,
                                                                            finished_at__isnull=True),
                                    name="one_open_cancellation_per_enterprise"),
        ]

    def __str__(self):
        return f"{self.enterprise} ({self.get_reason_display()})"

    @property
    def is_open(self) -> bool:
        return self.withdrawn_at is None and self.finished_at is None


@personal_data(subject=None, fields={}, reason="the platform's record of each enterprise's lifecycle steps",
               not_personal={"actor": "an actor label (staff:<id>, user:<id> of a tombstone, system:<name>)",
                             "detail": "counts, dates and table names; never a person's value"})
class LifecycleEvent(models.Model):
    """One step in an enterprise's life (provisioned, suspended, cancellation applied, erased, …).

    The platform's own log: the enterprise's audit log records the steps inside its schema, but is
    dropped with it; this one, in the public schema, is kept for support staff.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="lifecycle_events")
    at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=40)
    actor = models.CharField(max_length=80)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


@personal_data(subject=None, fields={},
               actor_links={"announced_by": "the platform staff member who announced the cessation",
                            "withdrawn_by": "the platform staff member who withdrew it"},
               not_personal={"message": "the notice every console and app shows; about the service, not a person"})
class ServiceCessation(models.Model):
    """E10: the announcement that the whole service stops on `stop_on`.

    Platform-wide (public schema). At most one announcement is live (not withdrawn); it is written
    only through tenants.cessation, which refuses a stop date less than
    SERVICE_CESSATION_NOTICE_DAYS ahead and a withdrawal on or after the stop date.
    """

    announced_at = models.DateTimeField(_("announced"), auto_now_add=True)
    # Null for system work (and, once erased, the staff member's tombstone stays linked).
    announced_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
                                     on_delete=models.SET_NULL, related_name="+")
    stop_on = models.DateField(_("collection stops on"))
    message = models.TextField(_("message shown with the notice"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-announced_at", "-id"]
        verbose_name = _("service cessation")
        verbose_name_plural = _("service cessations")
        constraints = [
            # Every live row has withdrawn_at NULL; NULLs counted as equal: at most one live row.
            models.UniqueConstraint(fields=["withdrawn_at"], condition=models.Q(withdrawn_at__isnull=True),
                                    nulls_distinct=False, name="one_live_service_cessation"),
        ]

    def __str__(self):
        return str(self.stop_on)

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


@personal_data(subject="registrant", fields={
    "created_at": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE,
                     note="E1: when a code was first asked for; the row goes with the registrant a day later"),
})
class PendingRegistration(models.Model):
    """E1: someone registering an enterprise on the platform host, between asking for the one-time
    code and finishing. The registrant is an inactive, password-less account in the public schema
    that exists only so the one-time code check (accounts.verification) has a person to send to:
    it is deleted (with its codes and outbox messages) when the enterprise is registered, and by
    tenants.registration.purge_abandoned_registrations a day after it was made."""

    registrant = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
