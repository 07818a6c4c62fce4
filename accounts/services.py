"""Every write to accounts and device tokens."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import DeviceToken, User
from accounts.validators import normalize_mainland_mobile


def validate_new_account(*, mobile: str, display_name: str, password: str | None) -> str:
    """Check an account's fields before anything is written; return the normalised mobile."""
    errors = {}
    try:
        mobile = normalize_mainland_mobile(mobile)
    except ValidationError as error:
        errors["mobile"] = error.messages
    if not (display_name or "").strip():
        errors["display_name"] = [ValidationError("This field is required.").messages[0]]
    if password is not None:
        try:
            validate_password(password, User(mobile=mobile, display_name=display_name))
        except ValidationError as error:
            errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    return mobile


@transaction.atomic
def create_account(*, mobile: str, display_name: str, role: str = User.Role.EMPLOYEE,
                   password: str | None = None) -> User:
    """E2: an administrator creates a person's account from mobile number and name.

    There is no self-registration path: this is the only function that creates enterprise
    accounts. Refuses an invalid or already registered mobile number, or a weak password.
    """
    mobile = validate_new_account(mobile=mobile, display_name=display_name, password=password)
    if User.objects.with_mobile(mobile).exists():
        raise ValidationError({"mobile": ["An account with this mobile number already exists."]})
    return User.objects.create_user(mobile=mobile, display_name=display_name.strip(), password=password, role=role)


def ensure_enterprise_manager(*, mobile: str, display_name: str, password: str | None) -> tuple[User, bool]:
    """Make sure the current enterprise has its manager account; return it and whether it is new."""
    existing = User.objects.filter(role=User.Role.MANAGER).first()
    if existing:
        return existing, False
    return create_account(mobile=mobile, display_name=display_name, role=User.Role.MANAGER, password=password), True


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: DeviceToken


def issue_device_token(*, user: User, device_id: str, device_name: str = "") -> IssuedToken:
    """X6: issue an API token bound to `device_id`; it is refused from any other device."""
    raw = secrets.token_urlsafe(32)
    record = DeviceToken.objects.create(
        user=user, digest=DeviceToken.digest_of(raw), device_id=device_id, device_name=device_name,
        expires_at=timezone.now() + settings.DEVICE_TOKEN_TTL,
    )
    return IssuedToken(raw, record)


def revoke_device_token(*, token: DeviceToken) -> None:
    """Log one device out."""
    DeviceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_all_device_tokens(*, user: User) -> int:
    """Log out everywhere: every token of `user` stops working at once. Returns how many."""
    return DeviceToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def purge_expired_device_tokens(*, now: datetime | None = None) -> int:
    """Delete tokens that expired or were revoked more than a day ago; returns how many."""
    cutoff = (now or timezone.now()) - timezone.timedelta(days=1)
    deleted, _ = DeviceToken.objects.filter(expires_at__lt=cutoff).delete()
    revoked, _ = DeviceToken.objects.filter(revoked_at__lt=cutoff).delete()
    return deleted + revoked


def change_password(*, user: User, old_password: str, new_password: str) -> None:
    """Replace `user`'s password; refuses a wrong old password or a weak new one (X3)."""
    errors = {}
    if not user.check_password(old_password):
        errors["old_password"] = ["The current password is incorrect."]
    try:
        validate_password(new_password, user)
    except ValidationError as error:
        errors["new_password"] = error.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
