"""X8: the cookies the console sets, what each is for and how long it lives, derived from the
settings that make them (so the list cannot drift from what is set), and the one enforcement point:
`StrictlyNecessaryCookiesMiddleware`, outermost, removes from every response any cookie not in the
list. Every cookie listed is strictly necessary (sign-in, account protection, the language chosen),
so none needs consent; a cookie that would need consent can only be added here, with its consent.

A person deletes them from the cookie page (accounts.console.views.cookies): signed in, "sign out
everywhere and clear cookies" ends every session and token (accounts.services.sign_out_everywhere)
and the response deletes every listed cookie (`clear_listed_cookies`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsoleCookie:
    name: str
    purpose: str
    # None: until the browser is closed.
    lifetime_seconds: int | None
    path: str
    domain: str | None
    samesite: str | None
    strictly_necessary: bool = True

    @property
    def lifetime(self) -> str:
        seconds = self.lifetime_seconds
        if seconds is None:
            return str(_("Until you close the browser"))
        days, hours = seconds // 86400, seconds // 3600
        if days >= 365 and days % 365 == 0:
            return ngettext("%(count)d year", "%(count)d years", days // 365) % {"count": days // 365}
        if days >= 1:
            return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
        if hours >= 1:
            return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
        return ngettext("%(count)d minute", "%(count)d minutes", max(seconds // 60, 1)) % {"count": max(seconds // 60, 1)}


def _messages_use_a_cookie() -> bool:
    storage = import_string(settings.MESSAGE_STORAGE)
    return issubclass(storage, CookieStorage) or CookieStorage in getattr(storage, "storage_classes", ())


def console_cookies() -> list[ConsoleCookie]:
    """Every cookie the console (and the platform host's admin) may set, from the settings in force."""
    cookies = [ConsoleCookie(
        settings.SESSION_COOKIE_NAME,
        _("Keeps you signed in to the console and ends your session when you sign out."),
        None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else settings.SESSION_COOKIE_AGE,
        settings.SESSION_COOKIE_PATH, settings.SESSION_COOKIE_DOMAIN, settings.SESSION_COOKIE_SAMESITE)]
    if not settings.CSRF_USE_SESSIONS:
        cookies.append(ConsoleCookie(
            settings.CSRF_COOKIE_NAME,
            _("Protects your account: forms are accepted only from the console's own pages (cross-site "
              "request forgery protection)."),
            settings.CSRF_COOKIE_AGE, settings.CSRF_COOKIE_PATH, settings.CSRF_COOKIE_DOMAIN,
            settings.CSRF_COOKIE_SAMESITE))
    cookies.append(ConsoleCookie(
        settings.LANGUAGE_COOKIE_NAME, _("Remembers the language you chose for the console."),
        settings.LANGUAGE_COOKIE_AGE, settings.LANGUAGE_COOKIE_PATH, settings.LANGUAGE_COOKIE_DOMAIN,
        settings.LANGUAGE_COOKIE_SAMESITE))
    if _messages_use_a_cookie():
        cookies.append(ConsoleCookie(
            CookieStorage.cookie_name,
            _("Carries a confirmation (\"saved\", \"sent\") to the next page; deleted once shown."),
            None, settings.SESSION_COOKIE_PATH, settings.SESSION_COOKIE_DOMAIN, settings.SESSION_COOKIE_SAMESITE))
    return cookies


def listed_cookie_names() -> set[str]:
    return {cookie.name for cookie in console_cookies() if cookie.strictly_necessary}


def clear_listed_cookies(response):
    """Mark `response` to delete every listed cookie: the middleware does it last, after Django's
    own middleware (which would set a fresh CSRF cookie after a sign-out) has run."""
    response.clears_listed_cookies = True
    return response


class StrictlyNecessaryCookiesMiddleware:
    """X8: only the listed (strictly necessary) cookies leave the server; any other is removed and
    logged by name. First in MIDDLEWARE, so it sees every cookie any layer set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        allowed = listed_cookie_names()
        for name in [name for name in response.cookies if name not in allowed]:
            logger.warning("cookie refused: %s is not a listed strictly necessary cookie", name)
            del response.cookies[name]
        if getattr(response, "clears_listed_cookies", False):
            for cookie in console_cookies():
                response.delete_cookie(cookie.name, path=cookie.path, domain=cookie.domain, samesite=cookie.samesite)
        return response
