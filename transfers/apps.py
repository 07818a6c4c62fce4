from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = "Transfers of enterprises' data"

    def ready(self):
        from transfers import tasks  # noqa: F401  (the service queues the task by its object)
