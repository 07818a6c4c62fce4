import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Nothing here may read app.conf: that loads the settings, which start the embedded services in
# whatever process imports `config` (scripts/devstack.py, which then never stopped them).
app.autodiscover_tasks()
