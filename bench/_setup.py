"""Shared start-up for benchmark scripts: Django on the configured (or embedded) database."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from access.actors import SystemActor  # noqa: E402

# Benchmark enterprises and their fixtures are made by system work, not by anyone in them.
BENCH_SETUP = SystemActor("benchmark setup")

# Benches serve no static files; an empty folder keeps WhiteNoise from warning on every client.
Path(settings.STATIC_ROOT).mkdir(exist_ok=True)


def drop_enterprise(code: str) -> None:
    """Remove a benchmark enterprise: its rows in public and its schema."""
    from django.db import connection

    from audit.access_log import writer as access_log_writer
    from tenants.models import Enterprise, EnterpriseCancellation, LifecycleEvent

    # Requests the script made are still queued for the access log: write them before the schema goes.
    access_log_writer.flush()
    connection.set_schema_to_public()
    enterprise = Enterprise.objects.filter(code=code).first()
    if enterprise is None:
        return
    schema = enterprise.schema_name
    archives = [c.archive_schema for c in EnterpriseCancellation.objects.filter(enterprise=enterprise) if c.archive_schema]
    EnterpriseCancellation.objects.filter(enterprise=enterprise).delete()
    LifecycleEvent.objects.filter(enterprise=enterprise).delete()
    enterprise.domains.all().delete()
    Enterprise.objects.filter(pk=enterprise.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        for archive in archives:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{archive}" CASCADE')


def fresh_enterprise(code: str, name: str, administrator_mobile: str):
    """A newly provisioned benchmark enterprise (any earlier one with this code is dropped first)."""
    from tenants import services as tenant_services

    drop_enterprise(code)
    return tenant_services.provision_enterprise(
        actor=BENCH_SETUP, code=code, name=name, location="Beijing", industry="Software",
        personnel_size="1000+",
        administrator_mobile=administrator_mobile, administrator_name="Bench", administrator_password=None,
    )
