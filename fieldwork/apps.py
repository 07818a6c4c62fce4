from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    """Customer visits and daily/weekly reports of field staff (A1), under the field-visits application (E6)."""

    name = "fieldwork"
    verbose_name = "Field work"

    def ready(self):
        from fieldwork import signals  # noqa: F401
