"""X5: platform staff open a security incident affecting chosen enterprises, follow it, and download
its regulator report (Django admin, public schema). Opening goes through incidents.services; an
incident is never edited or deleted afterwards."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from access.capabilities import Capability
from accounts.permissions import CapabilityRecordAdmin
from incidents import services
from incidents.models import AffectedEnterprise, Incident, PublicAnnouncement, TimelineStep
from privacy.registry import Category
from tenants.models import Enterprise

TEXT_FIELDS = ["kind", "title", "occurred_on", "cause", "possible_harm", "measures_taken", "advice", "remedies",
               "contact"]


class PlatformIncidentForm(forms.ModelForm):
    enterprises = forms.ModelMultipleChoiceField(label=_("Affected enterprises"),
                                                 queryset=Enterprise.objects.ready_for_periodic_work())
    audience = forms.ChoiceField(label=_("Affected people"), choices=[
        (value, label) for value, label in Incident.Audience.choices if value in services.PLATFORM_AUDIENCES])
    data_category = forms.ChoiceField(label=_("Data category"), required=False, choices=[("", "—"), *Category.choices])
    data_table = forms.ChoiceField(label=_("Table"), required=False)

    class Meta:
        model = Incident
        fields = TEXT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "data_table" in self.fields:  # the add form (an opened incident is read-only)
            self.fields["data_table"].choices = [("", "—")] + [
                (table, f"{label} ({', '.join(categories)})")
                for table, label, categories in services.platform_data_map_tables()]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("audience") == Incident.Audience.DATA:
            try:
                services.check_platform_data_choice(cleaned.get("data_category", ""), cleaned.get("data_table", ""))
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return cleaned


class AffectedEnterpriseInline(admin.TabularInline):
    model = AffectedEnterprise
    extra = 0
    can_delete = False
    readonly_fields = ["enterprise_title", "affected_count", "reached_count", "unreachable_count", "guardians_told",
                       "told_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class TimelineInline(admin.TabularInline):
    model = TimelineStep
    extra = 0
    can_delete = False
    readonly_fields = ["at", "step", "actor_label", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(CapabilityRecordAdmin, admin.ModelAdmin):
    view_capability = Capability.HANDLE_SECURITY_INCIDENTS
    add_capability = Capability.HANDLE_SECURITY_INCIDENTS
    form = PlatformIncidentForm
    list_display = ["reference", "title", "kind", "status", "affected_count", "unreachable_count", "opened_at"]
    list_filter = ["status", "kind"]
    search_fields = ["reference", "title"]
    readonly_fields = ["reference", *TEXT_FIELDS, "audience", "data_category", "data_table", "status", "opened_at",
                       "affected_count", "reached_count", "unreachable_count", "guardians_told", "announced_at",
                       "report"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*TEXT_FIELDS, "enterprises", "audience", "data_category", "data_table"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return [AffectedEnterpriseInline, TimelineInline] if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        opened = services.open_platform_incident(
            actor=request.user, enterprises=data["enterprises"], audience=data["audience"],
            data_category=data.get("data_category", ""), data_table=data.get("data_table", ""),
            **{name: data[name] for name in TEXT_FIELDS})
        obj.pk, obj.reference = opened.pk, opened.reference

    def save_related(self, request, form, formsets, change):
        pass  # the service wrote the affected enterprises

    @admin.display(description=_("regulator report"))
    def report(self, obj):
        if not obj.report_file:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:incidents_incident_report", args=[obj.pk]),
                           _("Download (PDF)"))

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_report)
        return [path("<int:pk>/report.pdf", download, name="incidents_incident_report"), *super().get_urls()]

    def download_report(self, request, pk: int):
        incident = Incident.objects.filter(pk=pk).first()
        if not self.has_view_permission(request) or incident is None or not incident.report_file \
                or not default_storage.exists(incident.report_file.name):
            raise Http404
        services.record_report_download(actor=request.user, incident=incident)
        return FileResponse(default_storage.open(incident.report_file.name, "rb"), as_attachment=True,
                            filename=f"{incident.reference}.pdf", content_type="application/pdf")

@admin.register(PublicAnnouncement)
class PublicAnnouncementAdmin(CapabilityRecordAdmin, admin.ModelAdmin):
    view_capability = Capability.HANDLE_SECURITY_INCIDENTS
    list_display = ["reference", "enterprise_title", "title", "unreachable_count", "published_at"]
