"""E1: location, industry type and personnel size are required before basic services work.

The one enforcement point: an enterprise that registered itself (tenants.registration) has none of
them yet. Until its manager gives them, every console page but the one that asks for them
(orgdata's basic-details page) and the ways in and out redirects there, and every API call but
signing in and out, the privacy policy and the service status answers 403 `basic_details_required`
with `missing_fields`. Routing's cached facts say what is missing (tenants.selectors), so a
complete enterprise costs no query here; saving the details forgets the cached facts
(tenants.signals).
"""
from __future__ import annotations

from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core.errors import domain_error_response
from tenants.errors import BasicDetailsRequired

# What stays reachable meanwhile: signing in and out, the password, the language, the policy (C8
# may ask for it first), the service status, health, and the cookie list (X8).
EXEMPT_URL_NAMES = {
    "login", "logout", "password-change", "set_language", "healthz", "activate", "policy-notice",
    "api-login", "api-logout", "api-logout-all", "api-password", "api-policy", "api-policy-accept",
    "api-service-status", "api-schema", "api-docs",
}


def _is_exempt(request, view_func) -> bool:
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    if getattr(view_func, "basic_details_exempt", False) or getattr(view_class, "basic_details_exempt", False):
        return True
    match = request.resolver_match
    return match is None or match.url_name in EXEMPT_URL_NAMES


class BasicDetailsRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        missing = getattr(request, "missing_basic_details", None)
        if not missing or _is_exempt(request, view_func):
            return None
        if request.path.startswith("/api/"):
            return domain_error_response(BasicDetailsRequired(
                _("Your enterprise has not given its location, industry type and personnel size yet. Its manager "
                  "gives them in the console; until then only signing in and out work."),
                extra={"missing_fields": list(missing)}))
        if request.path.startswith("/console/"):
            return redirect("orgdata:basic-details")
        return None
