from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, schema_context

from core.schemas import enterprise_schema_names

from privacy.keys import rewrap_person_keys


class Command(BaseCommand):
    help = "Re-wrap every person's data key under the newest master key (after a master-key rotation)."

    def handle(self, *args, **options):
        schemas = [get_public_schema_name(), *enterprise_schema_names()]
        for schema in schemas:
            with schema_context(schema):
                self.stdout.write(f"{schema}: {rewrap_person_keys()} keys re-wrapped")
