from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import throttling  # noqa: F401  (connects the axes row scrubber)

        checks.register(sms_backend_is_configured, checks.Tags.security, deploy=True)


def sms_backend_is_configured(app_configs=None, **kwargs):
    """`check --deploy`: the SMS backend can be built (the provider adapter refuses to until its
    settings are given), so sign-ins from new devices and rights requests can get their codes."""
    from django.core.exceptions import ImproperlyConfigured

    from accounts import sms

    try:
        sms.get_backend()
    except (ImproperlyConfigured, ImportError) as problem:
        return [checks.Error(str(problem), id="accounts.E001")]
    return []
