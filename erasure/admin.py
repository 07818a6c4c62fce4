"""Support staff's view of each enterprise's lifecycle (E9): its cancellations with their dates and
steps, and the platform's lifecycle log, beside tenants.admin's enterprise page. Registered here
because the cancellation services live in this layer (above tenants)."""
from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from erasure import enterprise as enterprise_services
from tenants.admin import EnterpriseAdmin
from tenants.models import Enterprise, EnterpriseCancellation, LifecycleEvent


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # part of the enterprise's page, which asks for its own view permission


class CancellationInline(_ReadOnlyInline):
    model = EnterpriseCancellation
    fields = readonly_fields = ["reason", "requested_at", "requested_by", "cancel_after", "withdrawn_at",
                                "started_at", "finished_at", "steps", "residue", "archive_schema",
                                "archived_rows", "hold_until", "archive_dropped_at"]


class LifecycleEventInline(_ReadOnlyInline):
    model = LifecycleEvent
    fields = readonly_fields = ["at", "event", "actor", "detail"]


admin.site.unregister(Enterprise)


@admin.register(Enterprise)
class EnterpriseLifecycleAdmin(EnterpriseAdmin):
    inlines = [*EnterpriseAdmin.inlines, CancellationInline, LifecycleEventInline]
    list_display = [*EnterpriseAdmin.list_display, "cancellation_date"]
    actions = [*EnterpriseAdmin.actions, "renew_for_a_year", "withdraw_cancellation"]

    @admin.display(description=_("cancelled after"))
    def cancellation_date(self, enterprise):
        cancellation = enterprise_services.open_cancellation(enterprise)
        return cancellation.cancel_after if cancellation else "—"

    def _each(self, request, queryset, action):
        for enterprise in queryset:
            try:
                action(enterprise)
            except ValidationError as error:
                self.message_user(request, f"{enterprise}: {'; '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{enterprise}: {_('done')}")

    @admin.action(description=_("Record a renewal for one year (withdraws an unpaid cancellation)"),
                  permissions=["lifecycle"])
    def renew_for_a_year(self, request, queryset):
        def renew(enterprise):
            start = max(enterprise.paid_until or timezone.localdate(), timezone.localdate())
            enterprise_services.record_renewal(actor=request.user, enterprise=enterprise,
                                               paid_until=start + timedelta(days=365))
        self._each(request, queryset, renew)

    @admin.action(description=_("Withdraw the scheduled cancellation"), permissions=["lifecycle"])
    def withdraw_cancellation(self, request, queryset):
        self._each(request, queryset, lambda enterprise: enterprise_services.withdraw_cancellation(
            actor=request.user, enterprise=enterprise))
