from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, may
from accounts.permissions import console_login_required
from attendance import services


@console_login_required
@require_http_methods(["GET", "POST"])
def attendance_settings(request):
    """C4: the enterprise's location-tracking switch (each person still consents separately)."""
    if request.method == "POST":
        services.switch_tracking(actor=request.user, enabled=request.POST.get("tracking") == "on")
        return redirect("attendance-console:settings")
    return render(request, "attendance/settings.html", {
        "settings": services.tracking_settings(), "may_switch_tracking": may(request.user, Capability.SWITCH_TRACKING)})
