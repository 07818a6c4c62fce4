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


# --- one-time codes by SMS (accounts.verification; R8, X6) ------------------------------------------

class VerificationThrottled(DomainError):
    """Too many codes asked for: the same check within the resend interval, or the daily limit of
    the person or of the number. `retry_after` says how many seconds to wait."""

    code = "verification_throttled"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class CodeRefused(DomainError):
    """The one-time code is missing, wrong, expired, used up or has had too many wrong answers;
    `code` says which, and the field `code` carries the message."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message, extra={"fields": {"code": [message]}})


class PasswordRefused(DomainError):
    """The password re-entered to confirm a request is not the account's."""

    code = "password_incorrect"
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str):
        super().__init__(message, extra={"fields": {"password": [message]}})


class DeviceVerificationRequired(DomainError):
    """X6: the right password from a device this account has never signed in from; a code was
    sent to the account's mobile number and the sign-in must be repeated with it."""

    code = "device_verification_required"
    status_code = status.HTTP_403_FORBIDDEN


class SmsUnavailable(DomainError):
    """The SMS provider did not take the message; nothing was sent."""

    code = "sms_unavailable"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE

class GuardianConsentRequired(DomainError):
    """M1: the account is a minor's (16 or 17 by the recorded date of birth) and no guardian's
    consent is recorded yet: it stays inactive. Only said to someone who gave the right password."""

    code = "guardian_consent_required"
    status_code = status.HTTP_403_FORBIDDEN


class InvitationUnusable(DomainError):
    """Issue 14: the activation link was used, replaced by a newer invitation, or has expired."""

    code = "invitation_unusable"
    status_code = status.HTTP_410_GONE
