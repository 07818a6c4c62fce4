"""What the consent app listens to, and what it announces."""
import django.dispatch
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_tenants.utils import get_public_schema_name, schema_context

from consent import selectors, state_cache
from consent.models import Purpose
from consent.services import catalogue as catalogue_services
from core.schemas import schema_has_table
from tenants.signals import enterprise_provisioned, tenant_schemas_migrated

# Sent by consent.services.ledger.withdraw_consent inside its transaction, after the withdrawal is
# recorded and with the person's row locked (C6): apps above consent delete what they hold only
# under that consent (e.g. attendance deletes the enrolled face, C5). kwargs: actor, person,
# purpose_code. A receiver's error rolls the withdrawal back.
consent_withdrawn = django.dispatch.Signal()


@receiver([post_save, post_delete], sender=Purpose)
def _forget_catalogue(sender, **kwargs):
    state_cache.forget_catalogue()


def sync_catalogue_after_migrate(sender, using=DEFAULT_DB_ALIAS, apps=None, **kwargs):
    """C7: bring an enterprise schema's purposes in step with consent.catalogue after each migrate.

    Connected (consent.apps) for the consent app's post_migrate, which migrate_schemas sends in
    each schema it migrates (schemas it did not need to migrate: the receiver at the end).
    Skips the public schema (no consent tables) and a schema where consent is not migrated. Uses
    the migration state's models: the code's models may be ahead of a partly migrated schema.
    A new purpose arrives with nobody consenting; a changed one gets its next revision.
    """
    from django.apps import apps as global_apps

    database = connections[using]
    schema = getattr(database, "schema_name", None)
    if not schema or schema == get_public_schema_name():
        return
    try:
        purpose_model = (apps or global_apps).get_model("consent", "Purpose")
        recipient_model = (apps or global_apps).get_model("consent", "Recipient")
    except LookupError:
        return
    if not schema_has_table(purpose_model._meta.db_table, using=using):
        return
    if selectors.catalogue_is_in_step(purpose_model):
        return
    with transaction.atomic(using=using):
        catalogue_services.apply_catalogue(purpose_model, recipient_model)
        state_cache.forget_catalogue()  # the migration state's models send no post_save to us


@receiver(enterprise_provisioned, dispatch_uid="consent-catalogue-on-provisioning")
def _sync_catalogue_of_new_enterprise(sender, enterprise, **kwargs):
    # The schema was cloned from the template or a spare made before the latest catalogue change
    # (a catalogue change needs no migration, so neither was migrated since): C7 from day one.
    if not selectors.catalogue_is_in_step():
        catalogue_services.sync_purpose_catalogue(actor=catalogue_services.CATALOGUE_SYNC)


@receiver(tenant_schemas_migrated, dispatch_uid="consent-catalogue-after-migrate-schemas")
def _sync_catalogue_everywhere_after_migrating(sender, schema_names, **kwargs):
    # C7: a catalogue change needs no migration, so post_migrate reaches no schema with it; every
    # deploy's migrate_schemas still brings it to every enterprise (one query finds where).
    for schema_name in selectors.schemas_out_of_step_with_catalogue(schema_names):
        with schema_context(schema_name):
            catalogue_services.sync_purpose_catalogue(actor=catalogue_services.CATALOGUE_SYNC)
