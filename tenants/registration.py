"""E1: an enterprise registers itself on the platform host (web page and API).

Two steps, both refused field by field and throttled per client address and per mobile number:

1. `send_registration_code(mobile=...)`: the registrant's mobile number gets a one-time code
   (accounts.verification, purpose `registration`, with its own resend and daily limits). The code
   needs a person to be sent to: an inactive, password-less account in the public schema, marked
   by a `PendingRegistration`, stands in for the registrant until step 2 (or a day) is over.
2. `register_enterprise(...)`: name, the registrant's name, mobile number, code and password. Every
   field is checked before the code is used; the enterprise name must not be one already taken
   (compared by `tenants.validators.enterprise_name_key`: case, full-width letters and spaces do
   not make a new name). Then, in ONE transaction (PostgreSQL's DDL is transactional), the product's
   own provisioning (`tenants.services.provision_enterprise`: a spare schema from the pool, or a
   clone of the template) creates the schema, domain and the registrant's manager account, and the
   stand-in account goes: a failure anywhere leaves no enterprise, schema or account behind.

The new enterprise has no location, industry type or personnel size yet: its console asks for them
first and its API refuses everything else until they are given (tenants.basic_details).
"""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import SystemActor, label, require_actor
from accounts import services as account_services
from accounts import verification
from accounts.errors import CodeRefused
from accounts.models import SmsOutboxMessage, User, VerificationCode, VerificationPurpose, normalized_mobile
from accounts.throttling import uses_exceeded
from accounts.validators import normalize_mainland_mobile, normalize_name
from privacy.models import PersonKey
from tenants import cessation
from tenants import selectors as tenant_selectors
from tenants import services as tenant_services
from tenants.errors import CollectionStopped, RegistrationThrottled
from tenants.models import Enterprise, LifecycleEvent, PendingRegistration

# Registration is system work started by an anonymous visitor; provisioning asks for an actor.
SELF_REGISTRATION = SystemActor("self-registration")
REGISTRATION_PURGE = SystemActor("registration purge")

_THROTTLE_WINDOW_SECONDS = 60 * 60
# One lock for "is this name free? then take it": two registrations of one name wait for each other.
_NAME_LOCK = 7_305_017
_CODE_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class RegisteredEnterprise:
    enterprise: Enterprise
    host: str
    console_url: str


def console_url_of(host: str) -> str:
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{host}{port}/console/"


def _refuse_if_throttled(*, client_address: str, mobile: str) -> None:
    """Count this attempt against the address and the number; refuse once either is over its limit."""
    over_address = uses_exceeded(scope="registration-address", identifier=client_address,
                                 limit=settings.REGISTRATION_ATTEMPTS_PER_ADDRESS, seconds=_THROTTLE_WINDOW_SECONDS)
    over_mobile = uses_exceeded(scope="registration-mobile", identifier=mobile,
                                limit=settings.REGISTRATION_ATTEMPTS_PER_MOBILE, seconds=_THROTTLE_WINDOW_SECONDS)
    if over_address or over_mobile:
        raise RegistrationThrottled(_("Too many registration attempts. Try again in an hour."),
                                    extra={"retry_after": _THROTTLE_WINDOW_SECONDS})


def _refuse_after_collection_stop() -> None:
    """E10: once the service stopped collecting, no enterprise registers (its registrant's number
    and name would be new personal information)."""
    notice = cessation.current_cessation()
    if notice is not None and notice.collection_stopped():
        raise CollectionStopped(cessation.collection_stopped_message(notice),
                                extra={"stop_on": notice.stop_on.isoformat()})


def _valid_mobile(mobile) -> str:
    try:
        return normalize_mainland_mobile(mobile)
    except ValidationError as error:
        raise ValidationError({"mobile": error.messages}) from None


def _registrant_for(mobile: str) -> User:
    """The public-schema account the code goes to: an existing one with this number (a platform
    staff member registering, or an earlier attempt), else a new stand-in."""
    existing = User.objects.with_mobile(mobile).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():  # two first requests at once: the second finds the first's
            registrant = User.objects.create_user(mobile=mobile, display_name="", password=None, is_active=False)
            PendingRegistration.objects.create(registrant=registrant)
            return registrant
    except IntegrityError:
        return User.objects.with_mobile(mobile).get()


def send_registration_code(*, mobile, client_address: str) -> verification.SentCode:
    """Send a one-time registration code to `mobile` (E1).

    Refuses a number that is not a mainland mobile number (ValidationError on `mobile`), too many
    attempts from the address or for the number (RegistrationThrottled, 429), the verification
    limits (VerificationThrottled, 429), an SMS provider that does not take it (SmsUnavailable,
    503) and any registration once the service stopped collecting (CollectionStopped, E10); a
    refusal leaves nothing written.
    """
    connection.set_schema_to_public()
    _refuse_after_collection_stop()
    mobile = _valid_mobile(mobile)
    _refuse_if_throttled(client_address=client_address, mobile=mobile)
    with transaction.atomic():
        registrant = _registrant_for(mobile)
        return verification.send_code(actor=SELF_REGISTRATION, person=registrant,
                                      purpose=VerificationPurpose.REGISTRATION)


def _validated(*, name, manager_name, mobile, password) -> dict:
    errors: dict[str, list[str]] = {}
    try:
        name = normalize_name(name, max_length=Enterprise._meta.get_field("name").max_length)
    except ValidationError as error:
        errors["name"] = error.messages
    else:
        if tenant_selectors.name_is_taken(name):
            errors["name"] = [_("An enterprise with this name is already registered. If it is yours, ask its "
                                "manager to add you; otherwise choose a name that tells it apart.")]
    try:
        mobile, manager_name = account_services.validate_new_account(
            mobile=mobile, display_name=manager_name, password=password if isinstance(password, str) else "")
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors["manager_name" if field == "display_name" else field] = messages
    if errors:
        raise ValidationError(errors)
    return {"name": name, "manager_name": manager_name, "mobile": mobile}


def _new_enterprise_code() -> str:
    while True:
        code = "e" + "".join(secrets.choice(_CODE_ALPHABET) for _unused in range(7))
        if not Enterprise.objects.filter(code=code).exists():
            return code


def register_enterprise(*, name, manager_name, mobile, code, password, client_address: str) -> RegisteredEnterprise:
    """E1: create an enterprise with the registrant as its manager; returns it with its console URL.

    Refuses, naming the field (ValidationError): an empty or overlong name, a name already taken,
    an invalid manager name or mobile number, a password the project's validators refuse; then a
    code that is missing, wrong, expired or used up (CodeRefused on `code`, counted against the
    code). Refuses too many attempts (RegistrationThrottled, 429) and any registration once the
    service stopped collecting (CollectionStopped, E10). Nothing is written unless the whole
    enterprise is.
    """
    connection.set_schema_to_public()
    _refuse_after_collection_stop()
    _refuse_if_throttled(client_address=client_address, mobile=normalized_mobile(str(mobile or "")))
    fields = _validated(name=name, manager_name=manager_name, mobile=mobile, password=password)
    registrant = User.objects.with_mobile(fields["mobile"]).first()
    if registrant is None:
        raise CodeRefused("code_missing", _("No code is waiting for this. Ask for a new code."))
    # The attempt is counted in the code check's own transaction (a wrong code is not rolled back).
    verification.check_code(person=registrant, purpose=VerificationPurpose.REGISTRATION, code=code)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_NAME_LOCK])
        if tenant_selectors.name_is_taken(fields["name"]):  # taken while this request checked the code
            raise ValidationError({"name": [_("An enterprise with this name is already registered.")]})
        provisioned = tenant_services.provision_enterprise(
            actor=SELF_REGISTRATION, code=_new_enterprise_code(), name=fields["name"],
            location="", industry="", personnel_size="", basic_details_later=True,
            administrator_mobile=fields["mobile"], administrator_name=fields["manager_name"],
            administrator_password=password)
        connection.set_schema_to_public()
        LifecycleEvent.objects.create(enterprise=provisioned.enterprise, event="registered",
                                      actor=label(SELF_REGISTRATION), detail={"by": "self-registration"})
        if PendingRegistration.objects.filter(registrant=registrant).exists():
            _delete_stand_in(registrant)
    return RegisteredEnterprise(provisioned.enterprise, provisioned.domain, console_url_of(provisioned.domain))


def purge_abandoned_registrations(*, actor, now=None) -> int:
    """Delete the stand-in accounts of registrations not finished within a day (with their codes
    and outbox messages); returns how many. System work (`REGISTRATION_PURGE`)."""
    require_actor(actor)
    now = now or timezone.now()
    connection.set_schema_to_public()
    stale = PendingRegistration.objects.filter(created_at__lt=now - timezone.timedelta(days=1))
    deleted = 0
    for registrant in User.objects.filter(pk__in=stale.values("registrant_id")):
        with transaction.atomic():
            _delete_stand_in(registrant)
        deleted += 1
    return deleted


def _delete_stand_in(registrant: User) -> None:
    """Delete a registration's stand-in account with its codes, outbox messages and data key.

    Row by row: Django's cascade would look for the account's rows in enterprise tables, which the
    public schema does not have (and a stand-in never has any; the database's foreign keys would
    refuse the delete otherwise)."""
    VerificationCode.objects.filter(person=registrant).delete()
    SmsOutboxMessage.objects.filter(person=registrant).delete()
    PendingRegistration.objects.filter(registrant=registrant).delete()
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{User._meta.db_table}" WHERE id = %s', [registrant.pk])
        cursor.execute(f'DELETE FROM "{PersonKey._meta.db_table}" WHERE id = %s', [registrant.person_key_id])
