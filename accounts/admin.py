"""Django admin lists only platform staff accounts of the public schema; no enterprise data."""
from django.contrib import admin

from accounts.models import User
from privacy.disclosure import shown_value


@admin.register(User)
class StaffAccountAdmin(admin.ModelAdmin):
    list_display = ["display_name", "masked_mobile", "is_active", "is_superuser", "last_login"]
    fields = ["display_name", "masked_mobile", "is_active", "is_staff", "is_superuser", "groups", "last_login"]
    readonly_fields = ["masked_mobile", "last_login"]
    search_fields = ["display_name"]

    @admin.display(description="mobile")
    def masked_mobile(self, user):
        # The admin has no reveal path: staff see what every surface shows any viewer (X2). Display
        # callables get no request, so the viewer is nobody in particular.
        return shown_value(viewer=None, instance=user, field="mobile")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_staff=True)

    def has_add_permission(self, request):
        return False  # staff accounts are created with `manage.py createsuperuser` or by a superuser's shell
