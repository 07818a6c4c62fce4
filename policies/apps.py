from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    """Privacy-policy versions the platform publishes (public schema, edited in the Django admin)."""

    name = "policies"
    verbose_name = "Privacy policy"

    def ready(self):
        from policies import signals  # noqa: F401
