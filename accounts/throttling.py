"""Login throttling glue for django-axes: what it counts by, and what a locked-out caller sees."""
import hashlib
import hmac

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def note_login_identifier(request, mobile: str) -> None:
    """JSON logins: axes sometimes looks the identifier up from the request alone (not from the
    credentials), and a JSON body is not in request.POST, so the API login states it here."""
    request.login_identifier = mobile


def username_digest(request, credentials) -> str | None:
    """Axes counts failures per mobile number, but stores only a keyed digest of it."""
    username = (
        (credentials or {}).get("username")
        or getattr(request, "login_identifier", None)
        or request.POST.get("username")
    )
    if not username:
        return None
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, str(username).strip().encode(), hashlib.sha256).hexdigest()[:40]


def lockout_response(request, original_response=None, credentials=None):
    message = _("Too many failed sign-in attempts. Try again in 15 minutes.")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "login_locked", "detail": message}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)
