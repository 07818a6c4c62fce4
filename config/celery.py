import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
# A prefork child that has grown past this (resident KiB) is replaced after its task: memory a big
# import leaves fragmented is given back. Each import also runs under its own address-space ceiling
# (orgdata.services.imports.jobs._memory_ceiling), which turns runaway growth into a MemoryError.
if not app.conf.worker_max_memory_per_child:
    app.conf.worker_max_memory_per_child = int(os.environ.get("CELERY_WORKER_MAX_MEMORY_KIB", 1_024_000))
app.autodiscover_tasks()
