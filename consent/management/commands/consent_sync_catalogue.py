"""consent_sync_catalogue [--schema S]: bring enterprise schemas' purposes in step with consent.catalogue.

Migrations do this after every migrate (consent.signals.sync_catalogue_after_migrate); this
command is for a catalogue change deployed without one, or for a single schema. Idempotent: a
schema already in step is left untouched.
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from consent import selectors
from consent.models import Purpose
from consent.services import catalogue as catalogue_services
from core.schemas import enterprise_schema_names, schemas_having_table


def _schemas() -> list[str]:
    """Every enterprise's schema, and the template new enterprises are cloned from."""
    return enterprise_schema_names(include_template=True)


def _migrated(schemas: list[str]) -> set[str]:
    """Which of `schemas` have consent's tables: one query for all of them (a check per schema
    would scan the whole catalogue once per schema)."""
    connection.set_schema_to_public()
    return schemas_having_table(Purpose._meta.db_table, schemas)


class Command(BaseCommand):
    help = "Bring the consent purposes of every enterprise schema (or one) in step with the code's catalogue (C7)."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="only this schema")

    def handle(self, *args, schema=None, **options):
        if schema is not None:
            if schema == get_public_schema_name() or not schema_exists(schema):
                raise CommandError(f"no enterprise schema named {schema!r}")
            schemas = [schema]
        else:
            schemas = _schemas()
        migrated = _migrated(schemas)
        if schema is not None and schema not in migrated:
            raise CommandError(f"schema {schema!r} has no consent tables; migrate it first")
        synced = 0
        for name in schemas:
            if name not in migrated:
                continue
            with schema_context(name):
                if selectors.catalogue_is_in_step():
                    self.stdout.write(f"{name}: in step")
                    continue
                result = catalogue_services.sync_purpose_catalogue(actor=catalogue_services.CATALOGUE_SYNC)
                synced += 1
                self.stdout.write(f"{name}: {result['added']} added, {result['revised']} revised, "
                                  f"{result['retired']} retired")
        self.stdout.write(f"{synced} of {len(schemas)} schemas synced")
