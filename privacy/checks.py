from django.core import checks

from privacy import registry


@checks.register("privacy")
def undeclared_personal_fields_check(app_configs, **kwargs):
    """A warning on every command; the test suite turns it into a failure (tests/privacy)."""
    return [
        checks.Warning(f"{label} looks like personal information but is not declared in the registry",
                       hint="Declare it with @personal_data(fields=...) or explain it in not_personal.",
                       id="privacy.W001")
        for label in registry.undeclared_personal_fields()
    ]
