from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self):
        from privacy import checks  # noqa: F401  (registers the undeclared-field check)
        from privacy import third_party_tables

        # Our models' declarations are checked as each class is built; the third-party tables'
        # field names only now, once every app's models are loaded.
        third_party_tables.check_field_names()
