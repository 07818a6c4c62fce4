from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.permissions import console_login_required
from attendance import permissions, services
from core.errors import NotPermitted


@console_login_required
@require_http_methods(["GET", "POST"])
def attendance_settings(request):
    """C4: the enterprise's location-tracking switch (each person still consents separately)."""
    if request.method == "POST":
        try:
            services.switch_tracking(actor=request.user, enabled=request.POST.get("tracking") == "on")
        except NotPermitted as refusal:
            raise PermissionDenied(refusal.detail) from None
        return redirect("attendance-console:settings")
    return render(request, "attendance/settings.html", {"settings": services.tracking_settings(),
                                                        "may_switch": permissions.may_switch_tracking(request.user)})
