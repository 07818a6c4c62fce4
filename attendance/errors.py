"""The refusals the attendance app raises; core.errors maps them to their status with their code."""
from rest_framework import status

from core.errors import DomainError


class TrackingSwitchedOff(DomainError):
    """A3: the enterprise has not switched location tracking on, so no ping is recorded."""

    code = "tracking_off"
    status_code = status.HTTP_403_FORBIDDEN


class FaceMismatch(DomainError):
    """A2: the check-in photo does not show the enrolled person, so no check-in is recorded."""

    code = "face_mismatch"
    status_code = status.HTTP_403_FORBIDDEN


class FaceCheckUnavailable(DomainError):
    """A2: the worker comparing faces did not answer in time (busy, or it crashed on the photo);
    nothing is recorded and the person tries again after `retry_after` seconds."""

    code = "try_again"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
