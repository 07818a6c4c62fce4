from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit and access logs"

    def ready(self):
        from audit import checks, recording  # noqa: F401  (system checks)

        # X4: one mechanism records every data change, login and unmasked view.
        recording.connect_receivers()
