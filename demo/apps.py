from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The living demo enterprise `make run` shows (`manage.py seed_demo`); it sits above every
    other app and nothing imports it."""

    name = "demo"
    verbose_name = "Demo enterprise"
