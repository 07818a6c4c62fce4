from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "Rights requests"

    def ready(self):
        from rights import tasks  # noqa: F401  (the services queue tasks by their objects)
