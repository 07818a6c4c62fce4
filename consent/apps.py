from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self):
        from consent import gate, signals

        gate.connect_model_guard()
        post_migrate.connect(signals.sync_catalogue_after_migrate, sender=self,
                             dispatch_uid="consent-catalogue-after-migrate")
