from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self):
        from consent import gate, signals, state_cache
        from privacy import cache_keys

        gate.connect_model_guard()
        # R4: what the cache holds about one person, for the erasure engine and its residue scan.
        cache_keys.register("consent_state", lambda person_id: [state_cache.state_key(person_id)])
        cache_keys.register("consent_state_generation", state_cache.generation_keys_of)
        post_migrate.connect(signals.sync_catalogue_after_migrate, sender=self,
                             dispatch_uid="consent-catalogue-after-migrate")
