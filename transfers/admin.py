"""C10: platform staff record that an enterprise's data passes to a new holder. Records are never
edited or deleted: they are what the new holder is bound to."""
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from access.capabilities import Capability
from accounts.permissions import CapabilityRecordAdmin
from consent import catalogue as purpose_catalogue
from transfers import services
from transfers.models import HolderTransfer


def _purpose_choices():
    return [(definition.code, f"{definition.name_en} ({definition.code})")
            for definition in purpose_catalogue.ALL_PURPOSES if definition.kind != "basic"]


class HolderTransferForm(forms.ModelForm):
    changed_purposes = forms.MultipleChoiceField(
        choices=_purpose_choices, required=False, widget=forms.CheckboxSelectMultiple,
        label=_("purposes that change"),
        help_text=_("Leave empty when the new holder keeps the purposes: it is then bound to the policy in force."))

    class Meta:
        model = HolderTransfer
        fields = ["enterprise", "new_holder_name", "new_holder_contact", "effective_on", "changes_purpose",
                  "changed_purposes"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("changes_purpose") and not cleaned.get("changed_purposes"):
            self.add_error("changed_purposes", _("Name the purposes that change."))
        if not cleaned.get("changes_purpose") and cleaned.get("changed_purposes"):
            self.add_error("changes_purpose", _("The purpose changes for the purposes you named."))
        return cleaned


@admin.register(HolderTransfer)
class HolderTransferAdmin(CapabilityRecordAdmin, admin.ModelAdmin):
    add_capability = Capability.RECORD_HOLDER_TRANSFER
    form = HolderTransferForm
    list_display = ["enterprise", "new_holder_name", "effective_on", "changes_purpose", "bound_policy_version",
                    "recorded_at", "people_told_at"]
    readonly_fields = ["bound_policy_version", "recorded_at", "recorded_by", "people_told_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*HolderTransferForm.Meta.fields, *self.readonly_fields] if obj is not None else []

    def save_model(self, request, obj, form, change):
        recorded = services.record_holder_transfer(
            actor=request.user, enterprise=form.cleaned_data["enterprise"],
            new_holder_name=form.cleaned_data["new_holder_name"],
            new_holder_contact=form.cleaned_data["new_holder_contact"],
            effective_on=form.cleaned_data["effective_on"], changed_purposes=form.cleaned_data["changed_purposes"])
        obj.pk, obj.recorded_at = recorded.pk, recorded.recorded_at
