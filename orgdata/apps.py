from django.apps import AppConfig


class OrgdataConfig(AppConfig):
    name = "orgdata"
    verbose_name = "Organisation data"

    def ready(self):
        # The import services queue their task by its registered name (orgdata.tasks sits above
        # them), so the tasks register in every process, the web server's too, not only where
        # Celery's autodiscovery runs.
        from orgdata import tasks  # noqa: F401
