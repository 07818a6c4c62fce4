from django.apps import AppConfig


class ErasureConfig(AppConfig):
    name = "erasure"
    verbose_name = "Erasure"

    def ready(self):
        # The service queues its task by the task object (erasure.tasks sits above the service
        # in this app only), so the tasks register in every process, the web server's too.
        from erasure import tasks  # noqa: F401
