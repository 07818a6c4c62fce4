from django.apps import AppConfig


class ErasureConfig(AppConfig):
    name = "erasure"
    verbose_name = "Erasure"

    def ready(self):
        # The service queues its task by the task object (erasure.tasks sits above the service
        # in this app only), so the tasks register in every process, the web server's too.
        from erasure import tasks  # noqa: F401

        # M2: orgdata (below this app) announces the minors its real-name data reveals; the cases
        # and the erasure of children under 14 are this app's (erasure.services).
        from consent.services import guardians as guardian_services
        from erasure import services
        from orgdata import signals as orgdata_signals

        orgdata_signals.minor_found.connect(services.on_minor_found, dispatch_uid="erasure.on_minor_found")
        # M1: recording a guardian's consent (consent, below this app) closes the person's open case.
        guardian_services.guardian_consent_recorded.connect(services.on_guardian_consent_recorded,
                                                            dispatch_uid="erasure.on_guardian_consent_recorded")
