from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    """Check-in/out and location tracking: the processing the consent gate protects (A1, A3)."""

    name = "attendance"
    verbose_name = "Attendance"
