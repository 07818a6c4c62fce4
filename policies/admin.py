"""Platform staff publish privacy-policy versions here (C8). Published versions are read-only."""
from datetime import timedelta

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access.capabilities import Capability, may
from policies import services
from policies.models import PolicyVersion, SignificantReason

# Publication is "now or later": a back-dated publication would take effect early (C8).
_CLOCK_TOLERANCE = timedelta(minutes=5)


class PolicyVersionForm(forms.ModelForm):
    significant_reasons = forms.MultipleChoiceField(
        choices=SignificantReason.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label=_("why the change is significant"),
    )

    class Meta:
        model = PolicyVersion
        fields = ["version", "title_en", "title_zh_hans", "text_en", "text_zh_hans", "summary_en",
                  "summary_zh_hans", "published_at", "effective_at", "is_significant", "significant_reasons", "reduces_rights"]

    def clean_published_at(self):
        published_at = self.cleaned_data["published_at"]
        if published_at and published_at < timezone.now() - _CLOCK_TOLERANCE:
            raise forms.ValidationError(_("A version cannot be published in the past."))
        return published_at


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    form = PolicyVersionForm
    list_display = ["version", "title_en", "published_at", "effective_at", "is_significant", "reduces_rights"]
    list_filter = ["is_significant", "reduces_rights"]
    search_fields = ["version", "title_en", "title_zh_hans"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published_at <= timezone.now():
            return PolicyVersionForm.Meta.fields
        return []

    def has_add_permission(self, request):
        return may(request.user, Capability.PUBLISH_POLICY_VERSION)

    def has_change_permission(self, request, obj=None):
        return may(request.user, Capability.PUBLISH_POLICY_VERSION)

    def has_delete_permission(self, request, obj=None):
        return False  # a published text is the record of what people agreed to

    def save_model(self, request, obj, form, change):
        services.save_policy_version(actor=request.user, version=obj)
