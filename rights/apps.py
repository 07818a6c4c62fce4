from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "Rights requests"

    def ready(self):
        from orgdata.console.charts import register_chart
        from rights import receivers, tasks  # noqa: F401  (receivers connect; the services queue tasks by their objects)
        from rights.console.dashboard import open_requests_chart

        register_chart(open_requests_chart)
