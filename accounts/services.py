"""Every write to accounts and device tokens."""
from __future__ import annotations

import secrets
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from access.actors import SystemActor, require_actor
from access.capabilities import Capability, require
from accounts import verification
from accounts.models import DeviceToken, SmsOutboxMessage, User, VerificationCode, new_security_stamp
from accounts.validators import normalize_mainland_mobile, normalize_name
from privacy.crypto import blind_indexer, encrypt_with
from privacy.keys import issue_person_key_ciphers
from core.bulk_rows import RowTemplate, allocate_ids, qualified_table, text_array


def validate_new_account(*, mobile: str, display_name: str, password: str | None) -> tuple[str, str]:
    """Check an account's fields before anything is written; return the normalised mobile and name."""
    errors = {}
    try:
        mobile = normalize_mainland_mobile(mobile)
    except ValidationError as error:
        errors["mobile"] = error.messages
    try:
        display_name = normalize_name(display_name, max_length=User._meta.get_field("display_name").max_length)
    except ValidationError as error:
        errors["display_name"] = error.messages
    if password is not None:
        try:
            validate_password(password, User(mobile=mobile, display_name=display_name))
        except ValidationError as error:
            errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    return mobile, display_name


class PasswordHashing:
    """A password being hashed on a thread of its own (see `hash_password_ahead`)."""

    def __init__(self, password: str):
        self.password = password
        self._hashed: Future[str] = Future()
        threading.Thread(target=self._run, name="password-hash", daemon=True).start()

    def _run(self) -> None:
        try:
            self._hashed.set_result(make_password(self.password))
        except BaseException as error:  # handed to whoever waits for the hash
            self._hashed.set_exception(error)

    def hashed(self, password: str) -> str:
        """The hash of `password`, waiting for it; refuses (ValueError) any other password."""
        if password != self.password:
            raise ValueError("this hash was started for another password")
        return self._hashed.result()


def hash_password_ahead(password: str | None) -> PasswordHashing | None:
    """Start hashing `password` now, for a `create_account` that comes after slow database work.

    The password hash (Argon2) takes a fifth of a second of computing and releases the GIL:
    provisioning hashes the manager's password while PostgreSQL copies the new schema
    (tenants.services.provision_enterprise), instead of one after the other.
    """
    return PasswordHashing(password) if password is not None else None


@transaction.atomic
def create_account(*, actor, mobile: str, display_name: str, role: str = User.Role.EMPLOYEE,
                   password: str | None = None, hashing: PasswordHashing | None = None) -> User:
    """E2: an administrator creates a person's account from mobile number and name.

    There is no self-registration path: this is the only function that creates enterprise
    accounts. Its callers decide who may (orgdata's add_employee asks the actor's scope,
    provisioning creates the manager): `actor` is required all the same. Refuses a missing
    actor, an invalid or already registered mobile number, or a weak password. `hashing`: the
    password's hash started ahead (`hash_password_ahead`); refused for another password.
    """
    require_actor(actor)
    mobile, display_name = validate_new_account(mobile=mobile, display_name=display_name, password=password)
    if User.objects.with_mobile(mobile).exists():
        raise ValidationError({"mobile": ["An account with this mobile number already exists."]})
    hashed_password = hashing.hashed(password) if hashing is not None and password is not None else None
    return User.objects.create_user(mobile=mobile, display_name=display_name, password=password, role=role,
                                    hashed_password=hashed_password)


def ensure_enterprise_manager(*, actor, mobile: str, display_name: str, password: str | None,
                              hashing: PasswordHashing | None = None) -> tuple[User, bool]:
    """Make sure the current enterprise has its manager account; return it and whether it is new.

    `actor` is whoever provisions the enterprise (tenants.services.provision_enterprise asks);
    `hashing`: the password's hash started ahead (see `hash_password_ahead`).
    """
    existing = User.objects.filter(role=User.Role.MANAGER).first()
    if existing:
        return existing, False
    return create_account(actor=actor, mobile=mobile, display_name=display_name, role=User.Role.MANAGER,
                          password=password, hashing=hashing), True


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: DeviceToken


def issue_device_token(*, person: User, device_id: str, device_name: str = "") -> IssuedToken:
    """X6: issue `person`, who has just signed in, an API token bound to `device_id`; it is
    refused from any other device."""
    raw = secrets.token_urlsafe(32)
    record = DeviceToken.objects.create(
        user=person, digest=DeviceToken.digest_of(raw), device_id=device_id, device_name=device_name,
        expires_at=timezone.now() + settings.DEVICE_TOKEN_TTL,
    )
    return IssuedToken(raw, record)


def revoke_device_token(*, token: DeviceToken) -> None:
    """Log one device out."""
    DeviceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def sign_out_everywhere(*, person: User, keeping: DeviceToken | None = None) -> int:
    """Log out everywhere: every API token of `person` but `keeping` and every console session stop
    working on their next request. Returns how many tokens were revoked.

    Sessions end because the security stamp is part of their auth hash (accounts.models.User);
    a caller that keeps its own console session updates its hash (update_session_auth_hash).
    Refuses nothing: signing out is always allowed.
    """
    tokens = DeviceToken.objects.filter(user=person, revoked_at__isnull=True)
    if keeping is not None:
        tokens = tokens.exclude(pk=keeping.pk)
    revoked = tokens.update(revoked_at=timezone.now())
    person.security_stamp = new_security_stamp()
    User.objects.filter(pk=person.pk).update(security_stamp=person.security_stamp)
    return revoked


@transaction.atomic
def disable_account(*, actor, person: User) -> User:
    """Close every way in for `person` at once (issue 12, offboarding): the account becomes
    inactive, so signing in is refused everywhere, and every device token and console session
    ends on its next request (the one mechanism of `sign_out_everywhere`).

    The account row is kept: its erasure after the retention period is the erasure engine's (a
    later part of issue 12). Refuses an actor who may not edit `person`'s identity record.
    """
    require(actor, Capability.EDIT_IDENTITY_RECORD, target=person)
    if person.is_active:
        person.is_active = False
        person.save(update_fields=["is_active"])
    sign_out_everywhere(person=person)
    return person


def record_minor_until(*, actor, person: User, minor_until) -> User:
    """M1: orgdata wrote `person`'s date of birth; `minor_until` is their 18th birthday (None for an
    adult or when nothing is known). An account that thereby waits for a guardian's consent is
    signed out everywhere at once (it cannot sign in again until the consent is recorded:
    consent.services.guardians). Refuses a missing actor."""
    require_actor(actor)
    was_waiting = person.awaits_guardian_consent
    if person.minor_until != minor_until:
        person.minor_until = minor_until
        person.save(update_fields=["minor_until"])
    if person.awaits_guardian_consent and not was_waiting:
        sign_out_everywhere(person=person)
    return person


def record_minors_until_in_bulk(*, actor, minor_until_by_person: dict[int, object]) -> list[int]:
    """M1: as `record_minor_until` for the accounts a bulk import wrote birth dates for; returns the
    ids changed (the caller records them in the audit log: accounts sits below audit)."""
    require_actor(actor)
    changed = []
    for person in User.objects.filter(pk__in=list(minor_until_by_person)).order_by("pk"):
        minor_until = minor_until_by_person[person.pk]
        if person.minor_until == minor_until:
            continue
        was_waiting = person.awaits_guardian_consent
        User.objects.filter(pk=person.pk).update(minor_until=minor_until)
        person.minor_until = minor_until
        changed.append(person.pk)
        if person.awaits_guardian_consent and not was_waiting:
            sign_out_everywhere(person=person)
    return changed


def record_guardian_consent_state(*, actor, person: User, has_guardian_consent: bool) -> User:
    """M1: consent.services.guardians recorded (True) or withdrew (False) the guardian's consent of
    `person`; without it a minor's account is inactive, so a withdrawal signs them out everywhere.
    The caller checked who may; a missing actor is refused."""
    require_actor(actor)
    if person.has_guardian_consent != has_guardian_consent:
        person.has_guardian_consent = has_guardian_consent
        person.save(update_fields=["has_guardian_consent"])
    if person.awaits_guardian_consent:
        sign_out_everywhere(person=person)
    return person


@transaction.atomic
def enable_account(*, actor, person: User) -> User:
    """M1: the manager dismissed the case that disabled `person`'s account (an edit stated an age
    under 16 and the data was wrong): the account is active again. Refuses an actor who may not
    edit `person`'s identity record, and an account whose login was released meanwhile (its holder
    left and was rehired: ValidationError)."""
    require(actor, Capability.EDIT_IDENTITY_RECORD, target=person)
    if person.mobile_index is None:
        raise ValidationError({"person": [gettext("This account's login was released: it cannot be enabled.")]})
    if not person.is_active:
        person.is_active = True
        person.save(update_fields=["is_active"])
    return person


def release_login_of_disabled_accounts(*, actor, mobiles: list[str]) -> list[int]:
    """Rehiring (issue 12): free `mobiles` (normalised) from the disabled accounts of people who
    left, so new accounts can take them; returns their ids (the caller records the change in the
    audit log).

    The old account is otherwise kept as it is (its number stays, encrypted, with the record it
    belongs to); only its blind index goes, as erasure would anonymise it, so the login stays
    unique (Django's USERNAME_FIELD) and leads to the one account in use. Refuses a missing actor.
    """
    require_actor(actor)
    if not User.objects.filter(is_active=False, mobile_index__isnull=False).exists():
        return []  # no login to free: an import's 100,000 numbers need not be indexed and sent
    owners = existing_mobile_owners(mobiles)  # one query however many rows an import brings
    released = list(User.objects.filter(pk__in=owners.values(), is_active=False).values_list("pk", flat=True))
    User.objects.filter(pk__in=released).update(mobile_index=None)
    return released


# Clearing out tokens no device can use any more is work nobody in the enterprise started.
TOKEN_PURGE = SystemActor("device-token purge")


def purge_expired_device_tokens(*, actor, now: datetime | None = None) -> int:
    """Delete tokens that expired or were revoked more than a day ago; returns how many.

    System work (`TOKEN_PURGE`); refuses a missing actor.
    """
    require_actor(actor)
    cutoff = (now or timezone.now()) - timezone.timedelta(days=1)
    deleted, _ = DeviceToken.objects.filter(expires_at__lt=cutoff).delete()
    revoked, _ = DeviceToken.objects.filter(revoked_at__lt=cutoff).delete()
    return deleted + revoked


# Clearing out spent one-time codes and the development SMS outbox is system work too.
VERIFICATION_PURGE = SystemActor("verification purge")


def purge_verification_records(*, actor, now: datetime | None = None) -> int:
    """Delete one-time codes sent more than a day ago (the daily sending limits count them until
    then) and outbox messages older than settings.SMS_OUTBOX_RETENTION; returns how many rows.

    System work (`VERIFICATION_PURGE`); refuses a missing actor.
    """
    require_actor(actor)
    now = now or timezone.now()
    codes, _ = VerificationCode.objects.filter(sent_at__lt=now - timezone.timedelta(days=1)).delete()
    messages, _ = SmsOutboxMessage.objects.filter(created_at__lt=now - settings.SMS_OUTBOX_RETENTION).delete()
    return codes + messages


@transaction.atomic
def change_password(*, person: User, old_password: str, new_password: str,
                    keeping: DeviceToken | None = None) -> None:
    """Replace `person`'s own password and lift a forced change (E5).

    Signs the person out everywhere except the device that changed it: every other API token is
    revoked (`keeping`, the token of the API call that changed it, goes on working) and every
    console session ends (the console view keeps its own with update_session_auth_hash).

    Refuses a wrong old password, a weak new one (X3), and keeping the same one (a temporary
    password an administrator has seen must not survive the forced change).
    """
    errors = {}
    if not person.check_password(old_password):
        errors["old_password"] = [gettext("The current password is incorrect.")]
    try:
        validate_password(new_password, person)
    except ValidationError as error:
        errors["new_password"] = error.messages
    if new_password == old_password and "old_password" not in errors:
        errors.setdefault("new_password", []).append(gettext("The new password must differ from the current one."))
    if errors:
        raise ValidationError(errors)
    person.set_password(new_password)
    person.must_change_password = False
    person.save(update_fields=["password", "must_change_password"])
    sign_out_everywhere(person=person, keeping=keeping)


# --- used by the organisation data (orgdata) services -----------------------------------------

def _mobile_taken(mobile: str, *, exclude: User | None = None) -> bool:
    taken = User.objects.with_mobile(mobile)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    return taken.exists()


@transaction.atomic
def correct_account_identity(*, actor, person: User, mobile: str | None = None,
                             display_name: str | None = None) -> User:
    """E5: an administrator corrects a person's name or mobile number (their login).

    Refuses an actor who may not edit `person`'s identity record (an administrator's record is
    the manager's to change), an invalid mobile number, one another account already uses, and an
    empty name. Changing the mobile number signs the person out of every device.
    """
    require(actor, Capability.EDIT_IDENTITY_RECORD, target=person)
    changed = []
    if display_name is not None:
        try:
            display_name = normalize_name(display_name, max_length=User._meta.get_field("display_name").max_length)
        except ValidationError as error:
            raise ValidationError({"display_name": error.messages})
        if display_name != person.display_name:
            person.display_name = display_name
            changed.append("display_name")
    if mobile is not None:
        try:
            mobile = normalize_mainland_mobile(mobile)
        except ValidationError as error:
            raise ValidationError({"mobile": error.messages})
        if mobile != person.mobile:
            if _mobile_taken(mobile, exclude=person):
                raise ValidationError({"mobile": ["An account with this mobile number already exists."]})
            person.mobile = mobile
            changed.append("mobile")
    if changed:
        person.save(update_fields=changed)
        if "mobile" in changed:
            sign_out_everywhere(person=person)
            # X6: a device verified with the old number must prove the new one.
            verification.forget_devices(person=person)
    return person


def generate_temporary_password() -> str:
    """A random password that passes every X3 validator (four character classes, 14 characters)."""
    alphabet_lower, alphabet_upper, digits = "abcdefghjkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789"
    pick = secrets.choice
    body = [pick(alphabet_lower) for _ in range(6)] + [pick(alphabet_upper) for _ in range(4)]
    body += [pick(digits) for _ in range(3)] + [pick("!#%+=?@")]
    secrets.SystemRandom().shuffle(body)
    return "".join(body)


@transaction.atomic
def reset_password_forcing_change(*, actor, person: User) -> str:
    """E5: set a temporary password `person` must replace at their next sign-in.

    Signs the person out of every device. Returns the temporary password, to be shown once to
    the administrator who reset it (it is stored only as a hash). Refuses an actor who may not
    reset this person's password (their own, or, for a sub-administrator, an administrator's).
    """
    require(actor, Capability.RESET_PASSWORD, target=person)
    temporary = generate_temporary_password()
    person.set_password(temporary)
    person.must_change_password = True
    person.save(update_fields=["password", "must_change_password"])
    sign_out_everywhere(person=person)
    return temporary


def assign_role(*, actor, person: User, role: str) -> User:
    """Set `person`'s role (orgdata.services.administrators decides when).

    Refuses an actor who may not appoint administrators (ADMINISTER_ADMINISTRATORS), and an
    unknown role. Making someone the manager is the manager's hand-over alone
    (HAND_OVER_MANAGER_ROLE).
    """
    require(actor, Capability.HAND_OVER_MANAGER_ROLE if role == User.Role.MANAGER
            else Capability.ADMINISTER_ADMINISTRATORS)
    if role not in (User.Role.MANAGER, User.Role.SUB_ADMIN, User.Role.EMPLOYEE):
        raise ValidationError({"role": ["Unknown role."]})
    if person.role != role:
        person.role = role
        person.save(update_fields=["role"])
    return person


def existing_mobile_owners(mobiles: list[str]) -> dict[str, int]:
    """{mobile: account id} for those of `mobiles` (normalised) that an account here already uses."""
    index_of = blind_indexer("mobile")
    mobile_by_index = {index_of(mobile): mobile for mobile in mobiles if mobile}
    if not mobile_by_index:
        return {}
    # One array parameter (= ANY), not thousands of IN placeholders.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT mobile_index, id FROM {qualified_table(User)} WHERE mobile_index = ANY(%s::text[])",
                       [text_array(list(mobile_by_index))])
        return {mobile_by_index[index]: pk for index, pk in cursor.fetchall()}


class CreatedAccount(NamedTuple):
    """An account created in bulk: its id and its person's data key (shared by the person's rows)."""

    pk: int
    person_key_id: int
    cipher: object  # the person's AESGCM cipher, for encrypting their other rows in the same run


def create_accounts_in_bulk(*, actor, people: list[tuple[str, str]]) -> list[CreatedAccount]:
    """E2 in bulk: create employee accounts from (normalised mobile, name) pairs.

    The caller has validated and de-duplicated the pairs and holds the transaction. Each account
    gets its own data key (privacy.keys), its mobile number encrypted under it with its blind
    index, and an unusable password (no per-account password hashing): people activate their
    accounts or an administrator resets them. Rows are written with PostgreSQL COPY; no model
    signals are sent (the caller records the audit entries). Returns (id, key id, cipher) of
    each account, in the order given. The caller (the import, for its administrator `actor`)
    has decided who may; a missing actor is refused.
    """
    require_actor(actor)
    if not people:
        return []
    keys = issue_person_key_ciphers(len(people))
    ids = allocate_ids(User, len(people))
    template = RowTemplate(User, fixed={"password": make_password(None),  # "!" + random: never matches
                                        "role": User.Role.EMPLOYEE, "date_joined": timezone.now()})
    at_id, at_key, at_mobile, at_index, at_name = (template.position(name) for name in (
        "id", "person_key_id", "mobile", "mobile_index", "display_name"))
    context = f"{User._meta.label}.mobile"
    index_of = blind_indexer("mobile")
    created = []
    with template.copy() as copy:
        for (mobile, name), account_id, (key_id, cipher) in zip(people, ids, keys):
            row = template.row()
            row[at_id], row[at_key], row[at_name] = account_id, key_id, name
            row[at_mobile] = encrypt_with(cipher, mobile, key_id=key_id, context=context)
            row[at_index] = index_of(mobile)
            copy.write_row(row)
            created.append(CreatedAccount(account_id, key_id, cipher))
    return created
