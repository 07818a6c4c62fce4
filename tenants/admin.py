"""Platform support staff's view of enterprises (read-only; lifecycle changes go through services) and the
service's cessation (E10)."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from access.capabilities import Capability, may
from accounts.permissions import CapabilityRecordAdmin
from tenants import cessation, services
from tenants.models import Domain, Enterprise, ServiceCessation


def _may_use_admin_site(request) -> bool:
    return may(request.user, Capability.USE_ADMIN_SITE)


# The Django admin asks the catalogue who may enter it (access.capabilities).
admin.site.has_permission = _may_use_admin_site


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    can_delete = False
    readonly_fields = ["domain", "is_primary"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "status", "plan", "paid_until", "industry", "personnel_size", "data_region"]
    list_filter = ["status", "plan", "data_region", "personnel_size"]
    search_fields = ["name", "code"]
    inlines = [DomainInline]
    actions = ["suspend", "reactivate"]
    exclude = ["settings"]

    def _change_status(self, request, queryset, status):
        for enterprise in queryset:
            try:
                services.change_enterprise_status(actor=request.user, enterprise=enterprise, status=status)
            except ValidationError as error:
                self.message_user(request, f"{enterprise}: {'; '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{enterprise}: {enterprise.get_status_display()}")

    @admin.action(description=_("Suspend selected enterprises"), permissions=["lifecycle"])
    def suspend(self, request, queryset):
        self._change_status(request, queryset, Enterprise.Status.SUSPENDED)

    @admin.action(description=_("Reactivate selected enterprises"), permissions=["lifecycle"])
    def reactivate(self, request, queryset):
        self._change_status(request, queryset, Enterprise.Status.ACTIVE)

    def has_lifecycle_permission(self, request):
        return may(request.user, Capability.CHANGE_ENTERPRISE_LIFECYCLE)


@admin.register(Domain)
class DomainAdmin(ReadOnlyAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain"]


class ServiceCessationForm(forms.ModelForm):
    class Meta:
        model = ServiceCessation
        fields = ["stop_on", "message"]

    def clean_stop_on(self):
        stop_on = self.cleaned_data["stop_on"]
        try:
            cessation.check_announcement(stop_on=stop_on)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["stop_on"]) from None
        return stop_on


@admin.register(ServiceCessation)
class ServiceCessationAdmin(CapabilityRecordAdmin, admin.ModelAdmin):
    """E10: platform staff announce the service's cessation (at least 30 days ahead) and withdraw
    it before its stop date, through tenants.cessation. Announcements are never edited or deleted."""
    add_capability = Capability.ANNOUNCE_CESSATION
    form = ServiceCessationForm
    list_display = ["stop_on", "announced_at", "announced_by", "withdrawn_at"]
    readonly_fields = ["announced_at", "announced_by", "withdrawn_at", "withdrawn_by"]
    actions = ["withdraw"]

    def get_readonly_fields(self, request, obj=None):
        return [*ServiceCessationForm.Meta.fields, *self.readonly_fields] if obj is not None else []

    def has_cessation_permission(self, request):
        return may(request.user, Capability.ANNOUNCE_CESSATION)

    def save_model(self, request, obj, form, change):
        announced = cessation.announce_cessation(actor=request.user, stop_on=form.cleaned_data["stop_on"],
                                                 message=form.cleaned_data["message"])
        obj.pk, obj.announced_at, obj.announced_by = announced.pk, announced.announced_at, announced.announced_by

    @admin.action(description=_("Withdraw the announced cessation"), permissions=["cessation"])
    def withdraw(self, request, queryset):
        try:
            withdrawn = cessation.withdraw_cessation(actor=request.user)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, _("The cessation on %(date)s is withdrawn.") % {"date": withdrawn.stop_on})
