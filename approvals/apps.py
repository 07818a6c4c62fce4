from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Leave, expense and business-trip requests through their approval chain; the approval log (X4)."""

    name = "approvals"
    verbose_name = "Approvals"
