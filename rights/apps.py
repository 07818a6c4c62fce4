from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "Rights requests"

    def ready(self):
        from orgdata.console.charts import register_chart
        from rights import receivers, tasks  # noqa: F401  (receivers connect; the services queue tasks by their objects)
        from rights.console.dashboard import open_requests_chart

        register_chart(open_requests_chart)

        # The erasure engine (below this app) announces each erasure before the person's rows go:
        # their open requests are closed, and whoever asked for their own erasure gets its certificate.
        from erasure.signals import erasing_person
        from rights import services

        erasing_person.connect(services.close_requests_of_erased_person, dispatch_uid="rights.close_requests")
        erasing_person.connect(services.send_erasure_certificate, dispatch_uid="rights.erasure_certificate")
