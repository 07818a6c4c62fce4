"""E5: a person whose password an administrator reset must choose their own before using the API.

The one enforcement point for the mobile API (the console's is `console_login_required`): while
the account's `must_change_password` is set, every authenticated API call answers 403
`password_change_required`, except changing the password, signing out, and reading and accepting
the privacy policy (C8 may require that first, and it must stay reachable). Views opt out only
with `password_change_exempt`.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.views import APIView

from accounts.authentication import authenticate_before_view
from accounts.errors import PasswordChangeRequired
from accounts.permissions import must_change_password_first
from core.errors import domain_error_response

EXEMPT_URL_NAMES = {"api-login", "api-password", "api-logout", "api-logout-all", "api-policy", "api-policy-accept"}


def _is_exempt(request, view_class) -> bool:
    if getattr(view_class, "password_change_exempt", False):
        return True
    match = request.resolver_match
    return match is None or match.url_name in EXEMPT_URL_NAMES


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if view_class is None or not issubclass(view_class, APIView) or _is_exempt(request, view_class):
            return None
        user = authenticate_before_view(request, view_class)
        if not must_change_password_first(user):
            return None
        return domain_error_response(PasswordChangeRequired(
            _("Your password was reset by an administrator. Change it (POST /api/v1/auth/password) "
              "to continue.")))
