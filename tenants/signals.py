"""Safety net: any save of an enterprise or domain (admin, shell, migration) clears its route."""
import django.dispatch
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants import routing_cache
from tenants.models import Domain, Enterprise


@receiver([post_save, post_delete], sender=Enterprise)
def _forget_enterprise_routes(sender, instance, **kwargs):
    routing_cache.forget_enterprise(instance)


@receiver([post_save, post_delete], sender=Domain)
def _forget_domain_route(sender, instance, **kwargs):
    routing_cache.forget_host(instance.domain)


# Sent by tenants.services.provision_enterprise inside the new enterprise's schema, once its
# manager exists: apps prepare their per-enterprise structures (e.g. this month's log partitions).
# kwargs: enterprise. Receivers must be idempotent (provisioning may be resumed).
enterprise_provisioned = django.dispatch.Signal()


# Sent by migrate_schemas (tenants.schema_migrations) once every tenant schema is up to date, also
# when none was behind: what a deploy must bring to every schema without a migration (e.g. the
# consent catalogue, C7) happens here, since post_migrate reaches only the schemas that were
# migrated. kwargs: schema_names (the template, the spares and every enterprise's schema).
# Receivers must stay cheap with thousands of schemas: one query over all of them, then act only
# where something is out of step.
tenant_schemas_migrated = django.dispatch.Signal()
