from django.apps import AppConfig


class OrgdataConfig(AppConfig):
    name = "orgdata"
    verbose_name = "Organisation data"

    def ready(self):
        from access import resolvers
        from orgdata.selectors import applications as application_selectors
        from orgdata.selectors import scope as scope_selectors

        # The catalogue (access.capabilities) asks orgdata what only it knows: which departments
        # a sub-administrator was granted (E5) and which applications are on for a person (E6).
        resolvers.register_scope_resolver(scope_selectors.OrganisationScope())
        resolvers.register_application_resolver(application_selectors.is_application_enabled_for)

        # The import services queue their task by its registered name (orgdata.tasks sits above
        # them), so the tasks register in every process, the web server's too, not only where
        # Celery's autodiscovery runs.
        from orgdata import tasks  # noqa: F401
