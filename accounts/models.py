import hashlib
import secrets
import unicodedata

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from access.roles import Role
from privacy.crypto import blind_index
from privacy.fields import BlindIndexField, EncryptedTextField, PersonKeyField
from privacy.registry import PI, Category, Erasure, Mask, personal_data


class UserQuerySet(models.QuerySet):
    def with_mobile(self, mobile: str):
        """Accounts whose login is `mobile` (any accepted spelling), found by its blind index."""
        return self.filter(mobile_index=mobile_index_of(mobile))


def normalized_mobile(mobile: str) -> str:
    """The 11-digit form of a mainland mobile number; other text only NFKC-normalised and stripped
    (validators refuse it)."""
    from accounts.validators import normalize_mainland_mobile

    # Full-width digits and ideographic spaces are the same number (and one login identifier).
    mobile = unicodedata.normalize("NFKC", str(mobile)).strip()
    try:
        return normalize_mainland_mobile(mobile)
    except ValidationError:
        return mobile


def new_security_stamp() -> str:
    return secrets.token_hex(16)


def mobile_index_of(mobile: str) -> str | None:
    """Blind index of a mobile number as typed (any accepted spelling)."""
    return blind_index("mobile", normalized_mobile(mobile or ""))


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Sign-in by mobile number: found through its blind index, never by plaintext.
        return self.get(mobile_index=mobile_index_of(username) or "-")

    def create_user(self, mobile=None, display_name="", password=None, *, mobile_index=None, hashed_password=None,
                    **extra):
        # createsuperuser passes the login as USERNAME_FIELD (mobile_index): it is the typed number.
        # `hashed_password`: make_password(password), computed ahead by the caller (accounts.services).
        mobile = normalized_mobile(mobile or mobile_index)
        user = self.model(mobile=mobile, display_name=display_name, **extra)
        if password and hashed_password:
            user.password, user._password = hashed_password, password  # as set_password leaves them
        elif password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, mobile=None, display_name="", password=None, *, mobile_index=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=User.Role.PLATFORM_STAFF)
        return self.create_user(mobile or mobile_index, display_name, password, **extra)


@personal_data(
    subject="self",
    fields={
        # The account becomes a tombstone when the person is erased: its id stays (actor links and
        # the audit chain refer to it), every personal value goes.
        "mobile": PI(Category.BASIC, purpose="account_login", erasure=Erasure.CRYPTO_SHRED, mask=Mask.MOBILE),
        "mobile_index": PI(Category.BASIC, purpose="account_login", erasure=Erasure.ANONYMISE, replacement=None,
                           mask=Mask.HIDDEN, note="keyed digest of the mobile number, for sign-in"),
        "display_name": PI(Category.BASIC, purpose="basic_service", erasure=Erasure.ANONYMISE, replacement=""),
        "minor_until": PI(Category.BASIC, purpose="minor_protection", erasure=Erasure.ANONYMISE, replacement=None,
                          note="M1: the 18th birthday, from the employee record's date of birth"),
    },
    not_personal={
        "has_guardian_consent": "M1: whether a guardian's consent (consent.GuardianConsent) is in force; "
                                "says nothing once minor_until is gone",
    },
)
class User(AbstractBaseUser, PermissionsMixin):
    """A person's account inside one schema.

    In an enterprise schema: one of its people (E2: created by its administrators, never by
    self-registration). In the public schema: platform support staff. A person working for two
    enterprises has two independent accounts.
    """

    Role = Role  # access.roles: who may do what with each role is access.capabilities

    person_key = PersonKeyField()
    # X1: the login is stored encrypted under the person's key; sign-in finds it by blind index.
    mobile = EncryptedTextField(_("mobile number"))
    mobile_index = BlindIndexField(_("mobile number"), source="mobile", kind="mobile", unique=True, db_index=False)
    display_name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    must_change_password = models.BooleanField(default=False)
    # Part of every console session's auth hash: replacing it (accounts.services.sign_out_everywhere)
    # ends every session of the person on its next request, as a new password does.
    security_stamp = models.CharField(max_length=32, default=new_security_stamp, editable=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # M1: set by orgdata whenever the person's date of birth is written (the day they turn 18; null
    # for adults and when nothing is known), so layers below orgdata (this app, consent) know the
    # account is a minor's. While it is in the future the account signs in only once a guardian's
    # consent is recorded (consent.services.guardians keeps `has_guardian_consent`).
    minor_until = models.DateField(null=True, blank=True)
    has_guardian_consent = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "mobile_index"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        # The address book's name search is a prefix search (LIKE '王%'): pattern ops make the
        # index usable for it whatever the database's collation.
        indexes = [models.Index(fields=["display_name"], name="user_display_name_prefix",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.display_name

    @property
    def is_minor(self) -> bool:
        """M1: whether the account is a minor's today (under 18 by the recorded date of birth)."""
        return self.minor_until is not None and timezone.localdate() < self.minor_until

    @property
    def awaits_guardian_consent(self) -> bool:
        """M1: a minor's account stays inactive (no sign-in, no token) until a guardian consents."""
        return self.is_minor and not self.has_guardian_consent

    # The Django admin greets staff with get_short_name(), falling back to the login field, which
    # here is a blind index: the person's name instead.
    def get_short_name(self):
        return self.display_name

    def get_full_name(self):
        return self.display_name

    def _get_session_auth_hash(self, secret=None):
        # Django's hash covers the password only; "log out everywhere" must end sessions too.
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}\n{self.security_stamp}", secret=secret,
                           algorithm="sha256").hexdigest()


@personal_data(
    subject="user",
    fields={
        "device_id": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE,
                        note="X6: the device a token is bound to"),
        "device_name": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE),
        # Not a log: the token row goes a day after it expires or is revoked
        # (accounts.services.purge_expired_device_tokens), with the person's other tokens on erasure.
        "last_used_at": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE),
    },
)
class DeviceToken(models.Model):
    """A mobile API credential, bound to the device it was issued to (X6).

    Only a SHA-256 digest of the token is stored, so a database leak yields no usable tokens.
    """

    user = models.ForeignKey(User, db_index=False, on_delete=models.CASCADE, related_name="device_tokens")
    digest = models.CharField(max_length=64, unique=True)
    device_id = models.CharField(max_length=128)
    device_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"]), models.Index(fields=["expires_at"])]

    @staticmethod
    def digest_of(raw_token: str) -> str:
        return hashlib.sha256(raw_token.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


@personal_data(
    subject="person",
    fields={
        # X6: only a keyed digest of the device identifier; the device list (DeviceToken) shows it.
        "device_digest": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE, mask=Mask.HIDDEN,
                            note="X6: keyed digest of a device identifier whose sign-in was verified by SMS"),
        "verified_at": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE),
    },
)
class KnownDevice(models.Model):
    """X6: a device the person has signed in from after proving, by a code sent to their mobile
    number, that they hold it. Signing in from a device not listed here needs that code again
    (accounts.verification). Kept as long as the account; forgotten when the login number changes."""

    person = models.ForeignKey(User, db_index=False, on_delete=models.CASCADE, related_name="known_devices")
    device_digest = models.CharField(max_length=40)
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "device_digest"], name="known_device_once")]


class VerificationPurpose(models.TextChoices):
    RIGHTS_REQUEST = "rights_request", _("a request about your personal information")
    NEW_DEVICE = "new_device", _("signing in on a new device")
    # E1: the registrant of a new enterprise proves they hold the manager's mobile number.
    REGISTRATION = "registration", _("registering your enterprise")


@personal_data(
    subject="person",
    fields={
        # Only an HMAC of the code (accounts.verification); the code itself is in the SMS alone.
        "code_digest": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE, mask=Mask.HIDDEN),
        "context_digest": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE, mask=Mask.HIDDEN,
                             note="keyed digest of what the code unlocks (the device of a new-device sign-in)"),
        "mobile_index": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE, mask=Mask.HIDDEN,
                           note="blind index of the number the code went to: sending is throttled per number"),
        "sent_at": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE),
    },
    not_personal={"purpose": "which check the code is for", "attempts": "wrong answers counted against it"},
)
class VerificationCode(models.Model):
    """One SMS one-time code (R8, X6): stored hashed, short-lived, a few attempts, used once.
    Rows go a day after they were sent (accounts.services.purge_verification_records): the daily
    sending limits count them until then."""

    person = models.ForeignKey(User, db_index=False, on_delete=models.CASCADE, related_name="verification_codes")
    purpose = models.CharField(max_length=20, choices=VerificationPurpose.choices)
    context_digest = models.CharField(max_length=64, blank=True)
    code_digest = models.CharField(max_length=64)
    mobile_index = models.CharField(max_length=40)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "purpose", "sent_at"]), models.Index(fields=["mobile_index", "sent_at"])]


@personal_data(
    subject="person",
    fields={
        "mobile": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE, mask=Mask.MOBILE),
        "body": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE, mask=Mask.HIDDEN,
                   note="the text sent, one-time codes included (development outbox only)"),
        "created_at": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE),
    },
    not_personal={"message_kind": "which template was sent"},
)
class SmsOutboxMessage(models.Model):
    """A text message the local outbox SMS backend (accounts.sms) kept instead of sending it, for
    developers and tests to read (`manage.py sms_outbox`). Purged after settings.SMS_OUTBOX_RETENTION
    (accounts.services.purge_verification_records). The number and text are encrypted under the
    person's key (X1)."""

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    person_key = PersonKeyField()
    mobile = EncryptedTextField(_("mobile number"))
    message_kind = models.CharField(max_length=40)
    body = EncryptedTextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)


class InvitationChannel(models.TextChoices):
    LINK = "link", _("activation link, copied by an administrator")
    SMS = "sms", _("text message")


@personal_data(
    subject="person",
    fields={
        # Only a SHA-256 digest of the token; the token itself is in the link alone.
        "token_digest": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE, mask=Mask.HIDDEN,
                           note="digest of the one-time activation link's token"),
        "created_at": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE),
        "used_at": PI(Category.BASIC, purpose="account_security", erasure=Erasure.DELETE),
    },
    not_personal={"expires_at": "when the link stops working", "channel": "how the link was passed on",
                  "revoked_at": "when a newer invitation replaced it"},
    actor_links={"sent_by": "the administrator who invited the person"},
)
class Invitation(models.Model):
    """Issue 14: how a new employee gets in. An administrator never invents a password: adding a
    person creates their account without one and an invitation, a one-time activation link
    (/activate/<token>) the administrator copies or has sent by SMS; the person opens it and
    chooses their password (accounts.invitations). Only the newest invitation of a person works."""

    person = models.ForeignKey(User, db_index=False, on_delete=models.CASCADE, related_name="invitations")
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=10, choices=InvitationChannel.choices, default=InvitationChannel.LINK)

    class Meta:
        indexes = [models.Index(fields=["person", "created_at"])]

    @staticmethod
    def digest_of(raw_token: str) -> str:
        return hashlib.sha256(raw_token.encode()).hexdigest()

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()
