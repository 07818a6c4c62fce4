from django.apps import AppConfig


class AuditAnchorsConfig(AppConfig):
    """The public-schema table of signed audit-chain checkpoints (the logic is in audit.checkpoints).

    An app of its own because it must live in the public schema (SHARED_APPS) while the audit app
    lives in each enterprise schema (TENANT_APPS): an enterprise's database rights over its own
    schema then do not reach the anchors of its chain.
    """

    name = "audit_anchors"
    verbose_name = "Audit chain anchors"
    default_auto_field = "django.db.models.BigAutoField"
