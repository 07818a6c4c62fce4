"""C8: once a significant policy version is in force, a person who has not accepted it can only
read and accept the policy (API: 403 `policy_acceptance_required` with the version; console: the
blocking notice). One middleware for every view; views opt out only with `policy_acceptance_exempt`.
It also opens the request's consent-state scope, so the gate reads the cache once per request.
"""
from __future__ import annotations

from django.db import connection
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name
from rest_framework.views import APIView

from accounts.authentication import authenticate_before_view
from core.errors import domain_error_response
from consent import state_cache
from consent.errors import PolicyAcceptanceRequired
from policies import selectors as policy_selectors

# Views every signed-in person can always reach: signing in and out, language, health, the notice.
EXEMPT_URL_NAMES = {"api-login", "api-logout", "api-logout-all", "login", "logout", "set_language", "healthz"}


def has_accepted(person_id: int, required) -> bool:
    _catalogue, state = state_cache.catalogue_and_state(person_id)
    return policy_selectors.satisfies(state["policies"], required)


def _is_exempt(request, view_func) -> bool:
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    if getattr(view_func, "policy_acceptance_exempt", False) or getattr(view_class, "policy_acceptance_exempt", False):
        return True
    match = request.resolver_match
    return match is None or match.url_name in EXEMPT_URL_NAMES


class PolicyAcceptanceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # One read of each person's consent state per request (consent.state_cache.request_scope).
        with state_cache.request_scope():
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if connection.schema_name == get_public_schema_name():
            return None
        required = policy_selectors.version_requiring_acceptance()
        if required is None or _is_exempt(request, view_func):
            return None
        view_class = getattr(view_func, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            person = authenticate_before_view(request, view_class)
            if person is None or has_accepted(person.pk, required):
                return None
            return domain_error_response(PolicyAcceptanceRequired(
                _("The privacy policy changed significantly. Read and accept version %(version)s "
                  "to continue.") % {"version": required.version}, extra={"version": required.version}))
        person = getattr(request, "user", None)
        if person is None or not person.is_authenticated or has_accepted(person.pk, required):
            return None
        return redirect("consent-console:policy-notice")
