from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from privacy.registry import personal_data


class EnterpriseQuerySet(models.QuerySet):
    def ready_for_periodic_work(self):
        """Enterprises whose schema is complete and not on its way out.

        Suspended enterprises still get housekeeping (retention must keep running); enterprises
        being provisioned, cancelled or being cancelled are never reached by periodic work.
        """
        return self.filter(status__in=[Enterprise.Status.ACTIVE, Enterprise.Status.SUSPENDED])


@personal_data(subject=None, fields={}, reason="an enterprise customer's profile; no person's information", not_personal={
    "name": "the enterprise's name, not a person's",
    "schema_name": "the enterprise's database schema",
    "location": "the enterprise's registered location (E1), not a person's whereabouts",
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
    # E1: location, industry type and personnel size are required before basic services work.
    location = models.CharField(_("location"), max_length=200)
    industry = models.CharField(_("industry type"), max_length=100)
    personnel_size = models.CharField(_("personnel size"), max_length=10, choices=PersonnelSize.choices)
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
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(location="") & ~models.Q(industry="") & ~models.Q(personnel_size=""),
                name="enterprise_e1_profile_complete",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_serving(self) -> bool:
        return self.status == self.Status.ACTIVE


@personal_data(subject=None, fields={}, reason="host names routing to an enterprise")
class Domain(DomainMixin):
    """A host name that routes to one enterprise (or to the platform's public schema)."""

    def __str__(self):
        return self.domain
