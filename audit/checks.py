"""S2: a deployment configured to keep logs for less than the legal minimum does not start."""
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register("audit")
def check_retention_periods(app_configs=None, **kwargs):
    from audit.retention import retention_months

    try:
        retention_months()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="Raise the period to at least the legal minimum.", id="audit.E001")]
    return []
