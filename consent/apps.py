from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self):
        from consent import gate, signals  # noqa: F401

        gate.connect_model_guard()
