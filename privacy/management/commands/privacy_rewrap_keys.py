from django.core.management.base import BaseCommand
from django_tenants.utils import get_tenant_model, schema_context

from privacy.keys import rewrap_person_keys


class Command(BaseCommand):
    help = "Re-wrap every person's data key under the newest master key (after a master-key rotation)."

    def handle(self, *args, **options):
        schemas = ["public"] + list(get_tenant_model().objects.exclude(schema_name="public")
                                    .values_list("schema_name", flat=True))
        for schema in schemas:
            with schema_context(schema):
                self.stdout.write(f"{schema}: {rewrap_person_keys()} keys re-wrapped")
