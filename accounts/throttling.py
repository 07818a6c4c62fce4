"""Login throttling glue for django-axes: what it counts by, and what a locked-out caller sees.

One rule for console, admin and API (they all sign in through `authenticate`, which axes guards):
failures are counted per sign-in identifier, as the keyed digest of the *normalised* mobile number
(any spelling of one number — spaces, hyphens, +86, full-width digits — is one identifier), and per
client address, with a higher limit (an office behind one address shares it). Either count reaching
its limit refuses every sign-in attempt it covers, even with the right password, until the
cool-off ends. A successful sign-in clears only the identifier's failures, never the address's:
an attacker with one valid account cannot reset the address count with it.

S2: axes' rows keep only that digest (never the number) and no request data; audit.retention
deletes them with the other login records.
"""
import hashlib
import hmac
import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.errors import LoginLocked
from accounts.models import normalized_mobile
from core.errors import domain_error_response

logger = logging.getLogger(__name__)


def note_login_identifier(request, mobile: str) -> None:
    """JSON logins: axes sometimes looks the identifier up from the request alone (not from the
    credentials), and a JSON body is not in request.POST, so the API login states it here."""
    request.login_identifier = mobile


def login_identifier_digest(identifier: str) -> str:
    """Keyed digest of a sign-in identifier, the same for every spelling of one mobile number."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, normalized_mobile(str(identifier)).encode(), hashlib.sha256).hexdigest()[:40]


def username_digest(request, credentials) -> str | None:
    """Axes counts failures per mobile number, but stores only a keyed digest of it.

    The identifier as the person typed it comes first: after a successful sign-in axes passes the
    account's stored login (a blind index, not the typed number) as the credentials, and clearing
    the failures must find the digest they were counted under.
    """
    identifier = (
        getattr(request, "login_identifier", None)
        or (request.POST.get("username") if hasattr(request, "POST") else None)
        or (credentials or {}).get("username")
    )
    if not identifier or not str(identifier).strip():
        return None
    return login_identifier_digest(identifier)


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with two limits: per identifier (AXES_FAILURE_LIMIT) and per
    client address (LOGIN_FAILURE_LIMIT_PER_ADDRESS)."""

    def get_failures(self, request, credentials=None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        identifier = get_client_username(request, credentials)
        by_identifier = _failures(recent.filter(username=identifier)) if identifier else 0
        address = getattr(request, "axes_ip_address", None)
        by_address = _failures(recent.filter(ip_address=address)) if address else 0
        if by_address >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(by_identifier, get_failure_limit(request, credentials))
        return by_identifier

    def reset_user_attempts(self, request, credentials=None) -> int:
        identifier = get_client_username(request, credentials)
        if not identifier:
            return 0
        deleted, _ = AccessAttempt.objects.filter(username=identifier).delete()
        return deleted


@receiver(pre_save, sender=AccessAttempt)
def _keep_no_request_data(sender, instance, **kwargs):
    # S2/X1: axes copies the query string and form fields into every failure row, and a login form
    # carries the mobile number in plaintext. The counters need neither.
    instance.get_data = ""
    instance.post_data = ""


def lockout_response(request, original_response=None, credentials=None):
    message = _("Too many failed sign-in attempts. Try again in 15 minutes.")
    if request.path.startswith("/api/"):
        return domain_error_response(LoginLocked(message))
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)


def client_address(request) -> str:
    """The request's client address as django-axes reads it (behind the configured proxies)."""
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "")


def uses_exceeded(*, scope: str, identifier: str, limit: int, seconds: int) -> bool:
    """Count one use of `scope` by `identifier` (an address, a normalised mobile number…); True
    once more than `limit` uses fall within `seconds`. Only a digest of the identifier is the
    cache key. Fails open while the cache is unreachable (the caller's own checks still apply)."""
    from django.core.cache import cache

    key = f"{scope}-attempts:" + hashlib.sha256(identifier.encode()).hexdigest()
    try:
        cache.add(key, 0, timeout=seconds)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds)
            used = 1
    except Exception:  # noqa: BLE001 (the cache is down)
        logger.warning("%s throttle unavailable: cache error", scope)
        return False
    return used > limit


def activation_attempts_exceeded(request) -> bool:
    """Issue 14: count one use of the unauthenticated activation pages (/activate/<token>) by the
    request's address; True once settings.ACTIVATION_ATTEMPTS_PER_ADDRESS uses within a quarter of
    an hour are exceeded (a 43-character random token is no guess anyway, so the cache being down
    lets it through)."""
    return uses_exceeded(scope="activation", identifier=client_address(request),
                         limit=settings.ACTIVATION_ATTEMPTS_PER_ADDRESS, seconds=15 * 60)
