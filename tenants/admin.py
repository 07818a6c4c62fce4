"""Platform support staff's view of enterprises: read-only; lifecycle changes go through services."""
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from access.capabilities import Capability, may
from tenants import services
from tenants.models import Domain, Enterprise


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
