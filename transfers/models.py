"""C10: the record that an enterprise's data passes to a new holder (merger, acquisition).

Platform-wide (public schema), like tenants' LifecycleEvent: platform staff record it in the Django
admin, and it stays the platform's record of what the new holder is bound to, whatever becomes of
the enterprise's schema.
"""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from policies.models import PolicyVersion
from privacy.registry import personal_data
from tenants.models import Enterprise


@personal_data(subject=None, fields={},
               actor_links={"recorded_by": "the platform staff member who recorded the transfer"},
               not_personal={"new_holder_name": "an organisation's name",
                             "new_holder_contact": "the new holder's published contact channel for people's rights",
                             "changed_purposes": "codes of the purposes whose use changes, identifies nobody"})
class HolderTransfer(models.Model):
    """The enterprise's data passes to `new_holder_name` on `effective_on`.

    Without changed purposes the new holder is bound to the policy in force (`bound_policy_version`,
    recorded when the transfer is). With them, nothing is processed for those purposes until each
    person consents again (their revisions are raised in the enterprise: transfers.services).
    Written only through transfers.services.record_holder_transfer; never edited or deleted.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="holder_transfers",
                                   verbose_name=_("enterprise"))
    new_holder_name = models.CharField(_("new holder"), max_length=200)
    new_holder_contact = models.CharField(_("new holder's contact"), max_length=200,
                                          help_text=_("Where people exercise their rights with the new holder."))
    effective_on = models.DateField(_("effective on"))
    changes_purpose = models.BooleanField(_("the purpose of processing changes"), default=False)
    changed_purposes = ArrayField(models.CharField(max_length=80), default=list, blank=True,
                                  verbose_name=_("purposes that change"))
    bound_policy_version = models.ForeignKey(PolicyVersion, null=True, blank=True, editable=False,
                                             on_delete=models.PROTECT, related_name="+",
                                             verbose_name=_("policy the new holder is bound to"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
                                    on_delete=models.SET_NULL, related_name="+")
    # Set by the enterprise's task once every person has been told (and the purposes revised).
    people_told_at = models.DateTimeField(_("people told"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("transfer to a new holder")
        verbose_name_plural = _("transfers to a new holder")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(changes_purpose=True) & ~models.Q(changed_purposes=[]))
                | (models.Q(changes_purpose=False) & models.Q(changed_purposes=[])),
                name="holdertransfer_c10_changed_purposes_named",
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} → {self.new_holder_name}"
