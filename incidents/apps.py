from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Security incidents"

    def ready(self):
        from incidents import tasks  # noqa: F401  (the services queue tasks by their names)
