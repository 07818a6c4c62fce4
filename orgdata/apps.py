from django.apps import AppConfig


class OrgdataConfig(AppConfig):
    name = "orgdata"
    verbose_name = "Organisation data"
