"""One-time codes sent by SMS to the account's mobile number: the one check behind R8 (every
rights request is confirmed with the password and a code) and X6 (the first sign-in from a new
device proves the person holds the number).

Rules (settings):
- a code is 6 digits, stored only as an HMAC under VERIFICATION_CODE_KEY, valid for
  VERIFICATION_CODE_TTL, used once; sending a new one replaces the earlier one of the same check;
- a code takes at most VERIFICATION_MAX_ATTEMPTS wrong answers (a wrong password counts too),
  then it is dead and a new one must be asked for;
- sending is throttled: one code per check (person, purpose, device, number) per
  VERIFICATION_RESEND_SECONDS, and at most VERIFICATION_DAILY_LIMIT codes a day per person and per
  mobile number (counted by the number's blind index, so a number moved between accounts keeps
  its count).
Neither the code nor the number is ever logged; the code travels only in the SMS.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import require_actor
from accounts import sms
from accounts.errors import (
    CodeRefused,
    DeviceVerificationRequired,
    PasswordRefused,
    SmsUnavailable,
    VerificationThrottled,
)
from accounts.models import KnownDevice, User, VerificationCode, VerificationPurpose, mobile_index_of
from privacy.crypto import blind_index
from privacy.masking import mask_mobile

logger = logging.getLogger(__name__)

Purpose = VerificationPurpose
CODE_LENGTH = 6


@dataclass(frozen=True)
class SentCode:
    purpose: str
    expires_at: datetime
    mobile_masked: str


def _digest(*, person: User, purpose: str, context_digest: str, code: str) -> str:
    message = f"{person.pk}\x00{purpose}\x00{context_digest}\x00{code}".encode()
    return hmac.new(settings.VERIFICATION_CODE_KEY.encode(), message, hashlib.sha256).hexdigest()


def _context_digest(context: str) -> str:
    return blind_index("verification-context", context) or ""


def _device_digest(device_id: str) -> str:
    return blind_index("device", device_id) or ""


def _lock_person(person: User) -> None:
    # Lock order: the person's row first (before any audit-chain head the writes below take).
    User.objects.select_for_update().filter(pk=person.pk).first()


def _refuse_if_throttled(*, person: User, purpose: str, context_digest: str, mobile_index: str,
                         now: datetime) -> None:
    interval = timezone.timedelta(seconds=settings.VERIFICATION_RESEND_SECONDS)
    # A code to another number (the login number changed since) is not a resend.
    last = (VerificationCode.objects.filter(person=person, purpose=purpose, context_digest=context_digest,
                                            mobile_index=mobile_index)
            .order_by("-sent_at").values_list("sent_at", flat=True).first())
    if last is not None and now - last < interval:
        wait = int((last + interval - now).total_seconds()) + 1
        raise VerificationThrottled(_("A code was sent less than a minute ago. Wait %(seconds)s seconds before "
                                      "asking for another.") % {"seconds": wait}, extra={"retry_after": wait})
    day_ago = now - timezone.timedelta(days=1)
    sent_today = VerificationCode.objects.filter(Q(person=person) | Q(mobile_index=mobile_index), sent_at__gt=day_ago)
    by_person = sent_today.filter(person=person).count()
    by_number = sent_today.filter(mobile_index=mobile_index).count()
    if max(by_person, by_number) >= settings.VERIFICATION_DAILY_LIMIT:
        raise VerificationThrottled(_("Too many codes were sent to this mobile number today. Try again tomorrow."),
                                    extra={"retry_after": 24 * 60 * 60})


@transaction.atomic
def send_code(*, actor, person: User, purpose: str, context: str = "") -> SentCode:
    """Send `person` a new one-time code for `purpose` (and `context`, e.g. the device being
    signed in) by SMS to their account's mobile number; the earlier code of the same check stops
    working. `actor` is whoever asks (the person, signed in or having just given their password).

    Refuses an unknown purpose (ValueError), an account without a mobile number, sending again
    within the resend interval or beyond the daily limit per person or per number
    (VerificationThrottled, 429), and a provider that does not take the message (SmsUnavailable, 503).
    """
    require_actor(actor)
    if purpose not in Purpose.values:
        raise ValueError(f"unknown verification purpose {purpose!r}")
    _lock_person(person)
    mobile_index = mobile_index_of(person.mobile)
    if not mobile_index:
        raise CodeRefused("no_mobile_number", _("This account has no mobile number to send a code to."))
    now = timezone.now()
    context_digest = _context_digest(context)
    _refuse_if_throttled(person=person, purpose=purpose, context_digest=context_digest,
                         mobile_index=mobile_index, now=now)
    code = f"{secrets.randbelow(10 ** CODE_LENGTH):0{CODE_LENGTH}d}"
    ttl = settings.VERIFICATION_CODE_TTL
    # Only the newest code of a check answers; earlier ones are retired now.
    VerificationCode.objects.filter(person=person, purpose=purpose, context_digest=context_digest,
                                    consumed_at__isnull=True).update(consumed_at=now)
    record = VerificationCode.objects.create(
        person=person, purpose=purpose, context_digest=context_digest, mobile_index=mobile_index,
        code_digest=_digest(person=person, purpose=purpose, context_digest=context_digest, code=code),
        sent_at=now, expires_at=now + ttl)
    try:
        sms.send_sms(person=person, message_kind="verification_code", params={
            "code": code, "minutes": int(ttl.total_seconds() // 60), "purpose": Purpose(purpose).label})
    except sms.SmsNotSent:
        raise SmsUnavailable(_("The text message could not be sent. Try again in a few minutes.")) from None
    logger.info("verification code sent: purpose=%s code_id=%s", purpose, record.pk)
    return SentCode(purpose=purpose, expires_at=record.expires_at, mobile_masked=mask_mobile(person.mobile))


def _normalised(code) -> str:
    # Full-width digits and spaces typed by a phone keyboard are the same code.
    return "".join(unicodedata.normalize("NFKC", str(code or "")).split())


def _count_wrong_answer(record: VerificationCode) -> None:
    record.attempts += 1
    record.save(update_fields=["attempts"])


def _check(*, person: User, purpose: str, code, context: str, password: str | None) -> Exception | None:
    """The refusal, or None when the code is right (and then used up). A wrong answer is counted
    here and returned, not raised, so the count survives the caller's atomic block."""
    context_digest = _context_digest(context)
    _lock_person(person)
    record = (VerificationCode.objects.select_for_update()
              .filter(person=person, purpose=purpose, context_digest=context_digest)
              .order_by("-sent_at").first())
    ask_again = _("Ask for a new code.")
    if record is None or record.consumed_at is not None:
        raise CodeRefused("code_missing", _("No code is waiting for this. %(next)s") % {"next": ask_again})
    if record.attempts >= settings.VERIFICATION_MAX_ATTEMPTS:
        raise CodeRefused("code_attempts_exhausted",
                          _("Too many wrong answers for this code. %(next)s") % {"next": ask_again})
    if record.expires_at <= timezone.now():
        raise CodeRefused("code_expired", _("This code has expired. %(next)s") % {"next": ask_again})
    if password is not None and not person.check_password(password):
        _count_wrong_answer(record)
        return PasswordRefused(_("The password is incorrect."))
    expected = _digest(person=person, purpose=purpose, context_digest=context_digest, code=_normalised(code))
    if not hmac.compare_digest(expected, record.code_digest):
        _count_wrong_answer(record)
        return CodeRefused("code_incorrect", _("The code is incorrect."))
    record.consumed_at = timezone.now()
    record.save(update_fields=["consumed_at"])
    return None


def check(*, person: User, purpose: str, password: str, code, context: str = "") -> None:
    """R8: confirm that the person asking is `person`: their password AND the newest code sent
    to them for `purpose` (and `context`). Success uses the code up.

    Refuses, naming the field: no code waiting, a code with too many wrong answers, an expired
    one (`code`, 400), a wrong password (`password`, 400, counted against the code) and a wrong
    code (`code`, 400, counted). The counted attempt is committed with this call's own transaction:
    call it before opening one that a refusal would roll back.
    """
    with transaction.atomic():
        refusal = _check(person=person, purpose=purpose, code=code, context=context, password=password)
    if refusal is not None:
        raise refusal


def check_code(*, person: User, purpose: str, code, context: str = "") -> None:
    """`check` without the password, for a caller that has just verified it (sign-in)."""
    with transaction.atomic():
        refusal = _check(person=person, purpose=purpose, code=code, context=context, password=None)
    if refusal is not None:
        raise refusal


# --- X6: new devices ------------------------------------------------------------------------

def is_known_device(*, person: User, device_id: str) -> bool:
    return KnownDevice.objects.filter(person=person, device_digest=_device_digest(device_id)).exists()


def require_known_device(*, person: User, device_id: str, code=None) -> None:
    """X6: let `person`, who has just given the right password, sign in from `device_id` only if
    they signed in from it before or `code` is the code just sent for it; then it is known.

    Without a code from an unknown device: sends one to the account's mobile number and refuses
    with DeviceVerificationRequired (403), saying where it went. Refuses a wrong, expired or used
    up code (CodeRefused, 400) and sending too often (VerificationThrottled, 429).
    """
    if is_known_device(person=person, device_id=device_id):
        return
    if not _normalised(code):
        sent = send_code(actor=person, person=person, purpose=Purpose.NEW_DEVICE, context=device_id)
        raise DeviceVerificationRequired(
            _("This is the first sign-in from this device. We sent a code to %(mobile)s: "
              "sign in again with it.") % {"mobile": sent.mobile_masked},
            extra={"mobile_masked": sent.mobile_masked, "expires_at": sent.expires_at.isoformat()})
    check_code(person=person, purpose=Purpose.NEW_DEVICE, code=code, context=device_id)
    KnownDevice.objects.get_or_create(person=person, device_digest=_device_digest(device_id))


def forget_devices(*, person: User) -> int:
    """Forget every device `person` verified (their login number changed: the next sign-in from
    each proves the new one). Returns how many."""
    deleted, _unused = KnownDevice.objects.filter(person=person).delete()
    return deleted
