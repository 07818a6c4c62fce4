from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit and access logs"

    def ready(self):
        from audit import checks, recording  # noqa: F401  (system checks)

        # X4: one mechanism records every data change, login and unmasked view.
        recording.connect_receivers()

        from tenants.signals import enterprise_provisioned

        # A spare schema made months ago would otherwise log into the catch-all partition.
        enterprise_provisioned.connect(_prepare_log_partitions, dispatch_uid="audit-log-partitions")


def _prepare_log_partitions(sender, enterprise, **kwargs):
    from audit import services as audit_services

    audit_services.ensure_log_partitions(actor=audit_services.LOG_PARTITIONING)
