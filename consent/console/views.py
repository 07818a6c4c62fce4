"""Console pages of consent: coverage per purpose, policy notices, the blocking re-acceptance notice."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import console_login_required
from consent import selectors, services
from consent.models import ConsentEvent
from policies import selectors as policy_selectors


def _console_answer_context(request) -> dict:
    return {"channel": ConsentEvent.Channel.CONSOLE, "device_id": "",
            "ip_address": request.META.get("REMOTE_ADDR") or None}


@console_login_required
def privacy_overview(request):
    """Consent coverage per purpose (counts only, never who refused) and policy notices."""
    context = {
        "coverage": selectors.consent_coverage(),
        "current": policy_selectors.current_version(),
        "upcoming": policy_selectors.upcoming_versions(),
        "language": get_language() or "en",
    }
    return render(request, "consent/privacy.html", context)


@console_login_required
@require_http_methods(["GET", "POST"])
def policy_notice(request):
    """C8: the blocking notice — a significant change in force that this person has not accepted."""
    required = policy_selectors.version_requiring_acceptance()
    version = policy_selectors.published_version(required.version) if required else None
    _catalogue, state = selectors.catalogue_and_state(request.user.pk)
    pending = version is not None and not policy_selectors.satisfies(state["policies"], required)
    if request.method == "POST" and pending:
        services.accept_policy(person=request.user, version_label=version.version, **_console_answer_context(request))
        messages.success(request, _("Thank you. You accepted privacy policy version %(version)s.")
                         % {"version": version.version})
        return redirect("console:dashboard")
    if not pending:
        return redirect("console:dashboard")
    return render(request, "consent/policy_notice.html", {"version": version, "language": get_language() or "en"})


policy_notice.policy_acceptance_exempt = True
