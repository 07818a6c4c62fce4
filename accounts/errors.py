from rest_framework import status

from core.errors import DomainError


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status_code = status.HTTP_401_UNAUTHORIZED


class AccountLeftCompany(DomainError):
    """The account was disabled because its holder left the company (orgdata's offboarding); only
    said to someone who gave the account's right password, so it reveals nothing to a guesser."""

    code = "account_left_company"
    status_code = status.HTTP_403_FORBIDDEN


class PasswordChangeRequired(DomainError):
    """E5: an administrator reset this person's password; they must choose their own first."""

    code = "password_change_required"
    status_code = status.HTTP_403_FORBIDDEN


class LoginLocked(DomainError):
    """Too many failed sign-ins for this identifier or address (accounts.throttling): every attempt
    is refused until the cool-off ends, even with the right password."""

    code = "login_locked"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class GuardianConsentRequired(DomainError):
    """M1: the account is a minor's (16 or 17 by the recorded date of birth) and no guardian's
    consent is recorded yet: it stays inactive. Only said to someone who gave the right password."""

    code = "guardian_consent_required"
    status_code = status.HTTP_403_FORBIDDEN
