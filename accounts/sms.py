"""The one way text messages leave the platform: `send_sms(...)`.

The backend is chosen by settings.SMS_BACKEND (a dotted class path):

- `accounts.sms.LocalOutboxBackend` (the default unless DJANGO_SECURE): nothing is sent; each
  message is kept in the enterprise's outbox table (accounts.models.SmsOutboxMessage), encrypted
  under the person's key, for developers (`manage.py sms_outbox`, the DEBUG-only page
  /console/dev/sms-outbox/) and tests to read. Purged after settings.SMS_OUTBOX_RETENTION.
- `accounts.sms.HttpSmsProviderBackend` (the default with DJANGO_SECURE): the production adapter
  slot. It refuses to be built (ImproperlyConfigured) until SMS_PROVIDER_URL, SMS_PROVIDER_KEY_ID,
  SMS_PROVIDER_SECRET, SMS_PROVIDER_SIGN_NAME and a template id per message kind
  (SMS_PROVIDER_TEMPLATES) are set; `manage.py check --deploy` reports that too.

A provider of another shape is a class with `send(*, person, mobile, message_kind, params)`
named in SMS_BACKEND. Messages are templates with parameters (providers in mainland China send
only pre-approved templates): the text is never built by the caller.

Nothing here logs a number, a text or a parameter (one-time codes are parameters).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


class SmsNotSent(Exception):
    """The provider refused or could not be reached; the message was not sent (no personal data
    in the message)."""


def _verification_code_text(params: dict) -> str:
    return gettext("Your verification code is %(code)s, valid for %(minutes)s minutes, for %(purpose)s. "
                   "Do not share it with anyone.") % params


def _invitation_text(params: dict) -> str:
    return gettext("%(name)s, your employer has invited you. Open %(link)s within %(days)s days to choose "
                   "your password, then sign in in the app.") % params


def _incident_notice_text(params: dict) -> str:
    return gettext("%(enterprise)s: a personal information security incident (%(title)s) may affect you. "
                   "Read what happened and what to do in the app's messages, or contact %(contact)s.") % params


def _incident_guardian_notice_text(params: dict) -> str:
    return gettext("%(enterprise)s: a personal information security incident (%(title)s) may affect %(name)s, "
                   "whose guardian you are. Contact %(contact)s for what happened and what to do.") % params


def _next_of_kin_update_text(params: dict) -> str:
    return gettext("About the request #%(request)s you made as a close relative of a deceased person: %(status)s. "
                   "The enterprise will contact you about what comes next.") % params


def _holder_transfer_text(params: dict) -> str:
    return gettext("Your enterprise's personal information passes to %(holder)s on %(date)s. Details are in your "
                   "app's inbox.") % params


# message_kind → how the local outbox renders it (a provider renders its own approved template).
MESSAGE_KINDS = {
    "verification_code": _verification_code_text,
    "invitation": _invitation_text,  # issue 14: the activation link (accounts.invitations)
    "incident_notice": _incident_notice_text,  # X5: a security incident (incidents.services)
    "incident_guardian_notice": _incident_guardian_notice_text,  # X5: a minor's guardian told too
    "next_of_kin_update": _next_of_kin_update_text,  # R7: a relative told of their request (rights.services)
    "holder_transfer": _holder_transfer_text,  # C10: the enterprise's data passes to a new holder
}


def send_sms(*, person, message_kind: str, params: dict, mobile: str | None = None) -> None:
    """Send `person` the message `message_kind` with `params`, to `mobile` (default: the number
    on their account). Refuses (ValueError) an unknown message kind; raises SmsNotSent when the
    provider does not take the message."""
    if message_kind not in MESSAGE_KINDS:
        raise ValueError(f"unknown SMS message kind {message_kind!r}")
    backend = get_backend()
    backend.send(person=person, mobile=mobile or person.mobile, message_kind=message_kind, params=params)
    # For operators: that a message went, never the number or the text.
    logger.info("sms sent: kind=%s backend=%s", message_kind, type(backend).__name__)


def get_backend():
    """The configured backend (settings.SMS_BACKEND), built from the settings in force;
    ImproperlyConfigured if it cannot be built."""
    return import_string(settings.SMS_BACKEND)()


class LocalOutboxBackend:
    """Development and tests: keep the message in the enterprise's outbox table."""

    def send(self, *, person, mobile: str, message_kind: str, params: dict) -> None:
        from accounts.models import SmsOutboxMessage

        SmsOutboxMessage.objects.create(person=person, person_key_id=person.person_key_id, mobile=mobile,
                                        message_kind=message_kind, body=MESSAGE_KINDS[message_kind](params))


class HttpSmsProviderBackend:
    """Production adapter slot: one signed JSON POST per message to an HTTP SMS provider.

    Request: POST SMS_PROVIDER_URL with JSON {"key_id", "sign_name", "template_id", "mobile",
    "params", "timestamp"} and header X-Signature: hex HMAC-SHA256 of the body under
    SMS_PROVIDER_SECRET. A 2xx answer is success; anything else raises SmsNotSent. Adapt `_post`
    (and the body) to the chosen provider's API; the interface above stays.
    """

    REQUIRED = ("SMS_PROVIDER_URL", "SMS_PROVIDER_KEY_ID", "SMS_PROVIDER_SECRET", "SMS_PROVIDER_SIGN_NAME")

    def __init__(self):
        missing = [name for name in self.REQUIRED if not getattr(settings, name, "")]
        templates = getattr(settings, "SMS_PROVIDER_TEMPLATES", {}) or {}
        missing += [f"SMS_PROVIDER_TEMPLATES[{kind!r}]" for kind in MESSAGE_KINDS if not templates.get(kind)]
        if missing:
            raise ImproperlyConfigured("The SMS provider is not configured: set " + ", ".join(missing)
                                       + " (or choose another SMS_BACKEND).")
        if not settings.SMS_PROVIDER_URL.startswith("https://"):
            raise ImproperlyConfigured("SMS_PROVIDER_URL must be an https:// address.")
        self.url = settings.SMS_PROVIDER_URL
        self.key_id = settings.SMS_PROVIDER_KEY_ID
        self.secret = settings.SMS_PROVIDER_SECRET.encode()
        self.sign_name = settings.SMS_PROVIDER_SIGN_NAME
        self.templates = dict(templates)
        self.timeout = getattr(settings, "SMS_PROVIDER_TIMEOUT_SECONDS", 10)

    def send(self, *, person, mobile: str, message_kind: str, params: dict) -> None:
        body = json.dumps({"key_id": self.key_id, "sign_name": self.sign_name,
                           "template_id": self.templates[message_kind], "mobile": mobile,
                           "params": {name: str(value) for name, value in params.items()},
                           "timestamp": int(time.time())}).encode()
        self._post(body, signature=hmac.new(self.secret, body, hashlib.sha256).hexdigest())

    def _post(self, body: bytes, *, signature: str) -> None:
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Signature": signature})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (https only)
                if not 200 <= response.status < 300:
                    raise SmsNotSent(f"provider answered {response.status}")
        except OSError as error:  # URLError, HTTPError, timeouts: the reason only, never the body
            raise SmsNotSent(type(error).__name__) from None
