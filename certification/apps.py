from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "Enterprise certification"

    def ready(self):
        from access import resolvers
        from certification import selectors

        # E4: orgdata (below this app) asks whether the enterprise is certified before switching
        # on an application reserved to certified enterprises (e-signature).
        resolvers.register_certification_resolver(selectors.current_enterprise_is_certified)

        # The submission queues its task by name after commit; registered in every process.
        from certification import tasks  # noqa: F401
