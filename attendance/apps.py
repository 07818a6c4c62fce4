from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    """Check-in/out, facial check-in and location tracking: the processing the consent gate
    protects (A1, A2, A3)."""

    name = "attendance"
    verbose_name = "Attendance"

    def ready(self):
        from attendance import services
        from consent import signals as consent_signals

        # C5: withdrawing facial-recognition consent deletes the enrolled face in the same transaction.
        consent_signals.consent_withdrawn.connect(services.on_consent_withdrawn,
                                                  dispatch_uid="attendance.on_consent_withdrawn")
