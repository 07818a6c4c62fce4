from django.db import connection

from accounts.models import DeviceToken, User
from privacy import statistics


def headcount() -> dict:
    """Active accounts in the current enterprise, labelled with the schema they were counted in.
    The count leaves the platform (the `enterprise_headcount` task), so fewer than 5 is "<5" (S3)."""
    return {"schema": connection.schema_name,
            "active_accounts": statistics.cell(User.objects.filter(is_active=True).count())}


def active_devices_of(person: User):
    """`person`'s device tokens still in force, the newest first."""
    return DeviceToken.objects.filter(user=person, revoked_at__isnull=True).order_by("-created_at")


def account_with_mobile(mobile: str) -> User | None:
    """The account whose login is `mobile` (any accepted spelling), looked up by blind index."""
    return User.objects.with_mobile(mobile).first()


def is_disabled_account(*, mobile: str, password: str) -> bool:
    """Whether `mobile` and `password` are the right credentials of an account that was disabled
    (its holder left the company): sign-in then says so instead of "incorrect". Someone without
    the password learns nothing."""
    return any(account.check_password(password)
               for account in User.objects.with_mobile(mobile).filter(is_active=False))


def display_names(account_ids) -> dict[int, str]:
    """Account id → the name a console page shows for it (an erased person's is empty)."""
    return dict(User.objects.filter(pk__in=list(account_ids)).values_list("pk", "display_name"))
