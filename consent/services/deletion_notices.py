"""R3: recipients the person's information was shared with are told to delete it.

The outbox: `notify_recipients_of_erasure` writes one DeletionNotice per recipient the sharing
ledger (Disclosure) names for the person, in the caller's transaction, and queues its delivery
after commit; `deliver_notice` (run by consent.tasks.deliver_deletion_notice, with retries) POSTs
the signed notice to the recipient's webhook; `requeue_stuck_notices` (periodic) sends again the
notices whose Celery message was lost.

The body carries no personal information: the notice id (the receiver dedupes on it), the
recipient's code, the time, and a pseudonymous subject reference — HMAC-SHA256 of the person's id
under that recipient's own secret. The reference is stable for one recipient (a repeated notice
names the same subject) yet differs between recipients, so two recipients cannot link their
notices, and an eavesdropper learns nothing; the recipient computes the same HMAC over the account
ids it received to find the records to delete.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import SystemActor, require_actor
from access.capabilities import Capability, require
from consent.models import DeletionNotice, Disclosure, Recipient
from privacy import crypto

SIGNATURE_HEADER = "X-Deletion-Notice-Signature"
# consent.tasks retries a notice up to this many attempts in all, with exponential backoff.
MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 10
# A queued notice nobody tried for this long lost its Celery message (a broker restart without
# persistence, a purged queue): the sweep sends it again. Far longer than the retries' backoff
# (retry_backoff_max in consent.tasks), so a notice still in its retry chain is never swept.
STUCK_AFTER = timedelta(minutes=30)
# Sending lost notices again is work nobody in the enterprise started.
NOTICE_SWEEP = SystemActor("deletion notice sweep")


class NoticeTransport(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST `body`; return the HTTP status, or raise OSError when the endpoint is unreachable."""


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # A notice goes to the registered URL only: a redirect (possibly to another host) is not followed
    # and counts as not delivered.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class UrllibTransport:
    """The real transport: urllib, a timeout, no redirects, no proxies from the environment."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS):
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _RefuseRedirects)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status
        except urllib.error.HTTPError as refusal:
            refusal.close()
            return refusal.code


transport: NoticeTransport = UrllibTransport()


# --- the recipient's secret ------------------------------------------------------------------------

def _seal_secret(secret: str) -> str:
    master_key_id, wrapped = crypto.wrap_data_key(secret.encode())
    return f"{master_key_id}:{base64.b64encode(wrapped).decode()}"


def _unseal_secret(sealed: str) -> bytes:
    master_key_id, _, encoded = sealed.rpartition(":")
    return crypto.unwrap_data_key(master_key_id, base64.b64decode(encoded))


# Names that always mean this machine or its private network, whatever they resolve to.
_LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".lan", ".home.arpa")


def webhook_url_problem(url: str) -> str:
    """Why `url` may not receive deletion notices, or "" when it may. HTTPS to a host on the public
    internet only: no credentials in the URL, no IP address or name of this machine or a private,
    link-local or reserved network (the platform must not be made to POST inside its own network);
    a name is resolved and every address it has must be public. Plain HTTP is accepted only to the
    loopback address when settings.DELETION_NOTICE_LOCAL_HTTP is on (development, tests)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host, port = (parts.hostname or "").rstrip(".").lower(), parts.port
    except ValueError:
        return _("Enter a valid URL.")
    if parts.scheme not in ("https", "http") or not host:
        return _("Enter a valid URL.")
    if parts.username is not None or parts.password is not None:
        return _("The URL must not contain a user name or password.")
    if getattr(settings, "DELETION_NOTICE_LOCAL_HTTP", False) and _is_loopback(host):
        return ""  # development and tests: a receiver on this machine, HTTP or HTTPS
    if parts.scheme != "https":
        return _("Use an https:// address: notices must be encrypted on their way.")
    if host == "localhost" or host.endswith(_LOCAL_NAMES):
        return _("This address is on this machine or a private network; use the recipient's public address.")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return _("This host name does not resolve; check the address.")
    if not addresses or not all(ipaddress.ip_address(address.split("%")[0]).is_global for address in addresses):
        return _("This address is on this machine or a private network; use the recipient's public address.")
    return ""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_webhook_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > Recipient._meta.get_field("webhook_url").max_length:
        raise ValidationError({"webhook_url": [_("This URL is too long.")]})
    problem = webhook_url_problem(url)
    if problem:
        raise ValidationError({"webhook_url": [problem]})
    return url


@transaction.atomic
def set_webhook(*, actor, recipient: Recipient, url: str, secret: str = "") -> str:
    """R3: register where `recipient` receives deletion notices and the secret that signs them
    (a fresh random one when none is given; returned once, to hand to the recipient). The secret is
    stored only wrapped by the privacy master key and never logged. Refuses an actor without
    Capability.CONFIGURE_RECIPIENTS (NotPermitted) and a URL `webhook_url_problem` refuses
    (ValidationError on webhook_url)."""
    require(actor, Capability.CONFIGURE_RECIPIENTS)
    url = _check_webhook_url(url)
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    secret = secret or secrets.token_urlsafe(32)
    recipient.webhook_url = url
    recipient.webhook_secret_sealed = _seal_secret(secret)
    recipient.save(update_fields=["webhook_url", "webhook_secret_sealed", "revised_at"])
    return secret


@transaction.atomic
def change_webhook_url(*, actor, recipient: Recipient, url: str) -> str:
    """R3: change where `recipient` receives deletion notices, keeping its signing secret; a
    recipient without one gets a fresh secret, returned once ("" when the secret was kept).
    Refuses like `set_webhook`."""
    require(actor, Capability.CONFIGURE_RECIPIENTS)
    url = _check_webhook_url(url)
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if not recipient.webhook_secret_sealed:
        return set_webhook(actor=actor, recipient=recipient, url=url)
    recipient.webhook_url = url
    recipient.save(update_fields=["webhook_url", "revised_at"])
    return ""


@transaction.atomic
def regenerate_webhook_secret(*, actor, recipient: Recipient) -> str:
    """R3: replace `recipient`'s signing secret with a fresh random one, returned once (the old one
    stops verifying at once). Refuses an actor without Capability.CONFIGURE_RECIPIENTS
    (NotPermitted) and a recipient with no webhook URL yet (ValidationError on webhook_url)."""
    require(actor, Capability.CONFIGURE_RECIPIENTS)
    recipient = Recipient.objects.select_for_update().get(pk=recipient.pk)
    if not recipient.webhook_url:
        raise ValidationError({"webhook_url": [_("Set the webhook URL first.")]})
    secret = secrets.token_urlsafe(32)
    recipient.webhook_secret_sealed = _seal_secret(secret)
    recipient.save(update_fields=["webhook_secret_sealed", "revised_at"])
    return secret


def subject_reference(*, person_id: int, secret: bytes) -> str:
    """The pseudonym of a person in the notices one recipient receives (see the module docstring)."""
    return hmac.new(secret, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()


def signature(*, body: bytes, secret: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


# --- the outbox -------------------------------------------------------------------------------

def people_shared_with_recipients() -> list[int]:
    """Ids of everyone whose information the sharing ledger says went to a recipient (E9: all of
    them are told when the enterprise is cancelled)."""
    return list(Disclosure.objects.filter(recipient__isnull=False).values_list("person_id", flat=True)
                .distinct().order_by("person_id"))


def notify_recipients_of_erasure(*, actor, person) -> list[DeletionNotice]:
    """R3: queue one deletion notice for every recipient that received `person`'s information.

    Who received it is the sharing ledger's answer (Disclosure with a recipient; a public
    disclosure names nobody to tell), so call this before the consent records are erased. Written
    in the caller's transaction; delivery is queued only once it commits, so a rolled-back erasure
    tells nobody. A recipient that already has a queued or delivered notice about the person gets
    no second one. `actor` is who erases (the erasure engine's system actor).
    """
    from consent import tasks  # tasks import this module

    recipients = Recipient.objects.filter(disclosures__person=person).distinct().order_by("pk")
    already_told = set(DeletionNotice.objects.filter(
        person=person, status__in=[DeletionNotice.Status.QUEUED, DeletionNotice.Status.DELIVERED],
    ).values_list("recipient_id", flat=True))
    notices = DeletionNotice.objects.bulk_create(
        [DeletionNotice(recipient=recipient, person=person) for recipient in recipients
         if recipient.pk not in already_told])
    for notice in notices:
        transaction.on_commit(lambda notice_id=notice.pk: tasks.deliver_deletion_notice.delay(notice_id))
    return notices


def requeue_stuck_notices(*, actor, now=None) -> list[int]:
    """R3: queue the delivery again of every notice still queued whose last attempt (or creation,
    when never tried) is older than STUCK_AFTER: its Celery message was lost, so nobody would ever
    tell the recipient. Returns their ids. Delivery stays once-only and bounded (deliver_notice
    locks the row and counts every attempt towards MAX_ATTEMPTS). Refuses a missing actor."""
    from consent import tasks  # tasks import this module

    require_actor(actor)
    stuck_before = (now or timezone.now()) - STUCK_AFTER
    notice_ids = list(DeletionNotice.objects.filter(status=DeletionNotice.Status.QUEUED)
                      .alias(last_activity=Coalesce("last_attempt_at", "created_at"))
                      .filter(last_activity__lt=stuck_before).order_by("pk").values_list("pk", flat=True))
    for notice_id in notice_ids:
        tasks.deliver_deletion_notice.delay(notice_id)
    return notice_ids


def notice_body(notice: DeletionNotice, *, secret: bytes) -> bytes:
    return json.dumps({
        "type": "deletion_notice",
        "notice_id": notice.pk,
        "recipient": notice.recipient.code,
        "subject": subject_reference(person_id=notice.person_id, secret=secret),
        "erased_at": notice.created_at.isoformat(),
        "sent_at": timezone.now().isoformat(),
    }, separators=(",", ":")).encode()


def deliver_notice(*, notice_id: int, is_last_attempt: bool) -> str:
    """R3: POST one queued notice, signed (HMAC-SHA256 of the body with the recipient's secret, in
    SIGNATURE_HEADER), and record the attempt: delivered on a 2xx answer, failed when
    `is_last_attempt` is not answered with one. Returns the notice's status afterwards.

    Delivered once: the row is locked for the attempt and a notice that is no longer queued is
    not sent again. Records only an error code (the HTTP status or the kind of network failure),
    never what the receiver answered.
    """
    with transaction.atomic():
        notice = DeletionNotice.objects.select_for_update().select_related("recipient") \
            .filter(pk=notice_id).first()
        if notice is None:
            return ""
        if notice.status != DeletionNotice.Status.QUEUED:
            return notice.status
        recipient = notice.recipient
        status_code, error_code = None, ""
        if not recipient.webhook_url or not recipient.webhook_secret_sealed:
            error_code = "no_webhook"
        elif webhook_url_problem(recipient.webhook_url):
            # Checked again as it is sent: a name may resolve elsewhere since it was registered.
            error_code = "refused_destination"
        else:
            secret = _unseal_secret(recipient.webhook_secret_sealed)
            body = notice_body(notice, secret=secret)
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(body=body, secret=secret),
                       "X-Deletion-Notice-Id": str(notice.pk), "X-Enterprise": connection.schema_name}
            try:
                status_code = transport.post(recipient.webhook_url, body, headers)
            except (TimeoutError, socket.timeout):
                error_code = "timeout"
            except OSError:
                error_code = "unreachable"
        now = timezone.now()
        notice.attempts += 1
        notice.last_attempt_at = now
        if status_code is not None and 200 <= status_code < 300:
            notice.status, notice.delivered_at, notice.last_error_code = DeletionNotice.Status.DELIVERED, now, ""
        else:
            notice.last_error_code = error_code or f"http_{status_code}"
            # A notice sent again by the sweep starts a new retry chain: the attempts it already
            # had count, so no notice is tried more than MAX_ATTEMPTS times.
            if is_last_attempt or notice.attempts >= MAX_ATTEMPTS:
                notice.status = DeletionNotice.Status.FAILED
        notice.save(update_fields=["status", "attempts", "last_attempt_at", "delivered_at", "last_error_code"])
        return notice.status
