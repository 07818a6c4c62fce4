"""Privacy-policy versions (C8): one row per published text, shared by every enterprise."""
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import personal_data

# C8: an update takes effect 7 days after it is published, never earlier.
EFFECTIVE_AFTER = timedelta(days=7)


class SignificantReason(models.TextChoices):
    """C8 (Q 8): what makes a change significant and requires re-acceptance."""

    PROCESSING = "processing", _("Purpose, type or way of using personal information changed")
    CONTROL = "control", _("Control or ownership changed (e.g. merger or acquisition)")
    RECIPIENTS = "recipients", _("Recipients of sharing, transfer or public disclosure changed")
    RIGHTS = "rights", _("Users' rights or how to exercise them changed")
    CONTACT = "contact", _("Responsible department, contact or complaint channel changed")
    HIGH_RISK = "high_risk", _("A personal-information impact assessment shows a high risk")


@personal_data(subject=None, fields={}, actor_links={"published_by": "the platform staff member who published it"},
               not_personal={"significant_reasons": "why a change is significant, identifies nobody",
                             "reduces_rights": "whether the text reduces users' rights, identifies nobody"})
class PolicyVersion(models.Model):
    """One published version of the privacy policy.

    Published versions are immutable: a correction is a new version. A version published in the
    future (scheduled) may still be edited until it is published.
    """

    version = models.CharField(_("version"), max_length=20, unique=True,
                               help_text=_("Shown to employees, e.g. 2025.2"))
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh_hans = models.CharField(_("title (Simplified Chinese)"), max_length=200)
    text_en = models.TextField(_("text (English)"))
    text_zh_hans = models.TextField(_("text (Simplified Chinese)"))
    summary_en = models.TextField(_("what changed (English)"), blank=True)
    summary_zh_hans = models.TextField(_("what changed (Simplified Chinese)"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    effective_at = models.DateTimeField(
        _("effective at"), blank=True,
        help_text=_("Seven days after publication unless you choose a later time; never earlier."),
    )
    is_significant = models.BooleanField(
        _("significant change"), default=False,
        help_text=_("Significant changes are notified prominently and must be accepted again."),
    )
    significant_reasons = ArrayField(
        models.CharField(max_length=20, choices=SignificantReason.choices), default=list, blank=True,
        verbose_name=_("why the change is significant"),
    )
    # C8: "rights are never reduced without explicit consent". Marked at publication; such a
    # version is never accepted by continued use: each person accepts it explicitly, and until
    # then their terms stay the earlier version (policies.selectors.terms_of).
    reduces_rights = models.BooleanField(
        _("reduces users' rights"), default=False,
        help_text=_("Each person must accept this version explicitly; until they do, the earlier terms apply to "
                    "them."),
    )
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_at", "-published_at"]
        verbose_name = _("privacy-policy version")
        verbose_name_plural = _("privacy-policy versions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_at__gte=models.F("published_at") + EFFECTIVE_AFTER),
                name="policyversion_c8_effective_7_days_after_publication",
            ),
            # A significant change names at least one reason from C8; a minor one names none.
            models.CheckConstraint(
                condition=(models.Q(is_significant=True) & ~models.Q(significant_reasons=[]))
                | (models.Q(is_significant=False) & models.Q(significant_reasons=[])),
                name="policyversion_c8_significance_has_reasons",
            ),
            # C8: a version that reduces rights is a significant change for the reason "rights",
            # so it can never be treated like a minor one.
            models.CheckConstraint(
                condition=models.Q(reduces_rights=False)
                | (models.Q(is_significant=True) & models.Q(significant_reasons__contains=[SignificantReason.RIGHTS])),
                name="policyversion_c8_rights_reduction_is_significant",
            ),
        ]

    def __str__(self):
        return self.version

    def title(self, language: str) -> str:
        return self.title_zh_hans if language.lower().startswith("zh") else self.title_en

    def text(self, language: str) -> str:
        return self.text_zh_hans if language.lower().startswith("zh") else self.text_en

    def summary(self, language: str) -> str:
        return self.summary_zh_hans if language.lower().startswith("zh") else self.summary_en

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.published_at <= timezone.now()

    def clean(self):
        errors = {}
        if self.published_at is None:
            errors["published_at"] = [_("This field is required.")]
        else:
            earliest = self.published_at + EFFECTIVE_AFTER
            if self.effective_at is None:
                self.effective_at = earliest
            elif self.effective_at < earliest:
                errors["effective_at"] = [_("A version takes effect at least 7 days after it is published.")]
        if self.is_significant and not self.significant_reasons:
            errors["significant_reasons"] = [_("Say why the change is significant.")]
        if not self.is_significant and self.significant_reasons:
            errors["is_significant"] = [_("A change with these reasons is significant.")]
        if self.reduces_rights and not (self.is_significant and SignificantReason.RIGHTS in self.significant_reasons):
            errors["reduces_rights"] = [_("A version that reduces users' rights is a significant change of users' "
                                          "rights: mark it significant and give that reason.")]
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.effective_at is None and self.published_at is not None:
            self.effective_at = self.published_at + EFFECTIVE_AFTER
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("published_at", flat=True).first()
            if stored is not None and stored <= timezone.now():
                raise ValidationError(_("A published policy version cannot be changed; publish a new version."))
        super().save(*args, **kwargs)

