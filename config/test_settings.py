"""Test override: a queue and cache namespace of this run's own, so a running `make run` and a
test run on the same broker never consume each other's tasks or read each other's cache."""
import os
import uuid

_run_id = uuid.uuid4().hex[:8]
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"test-{_run_id}")
os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{_run_id}")
# The tests' webhook receivers listen on 127.0.0.1 over plain HTTP, as in development (the test
# worker process inherits it).
os.environ.setdefault("DELETION_NOTICE_LOCAL_HTTP", "1")

from config.settings import *  # noqa: E402,F401,F403

# Tests provision through the clone path unless a test fills the spare pool itself.
TENANT_SPARE_SCHEMAS = 0

# A database of this run's own: parallel test runs on one server must not drop each other's.
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_run_id}"}  # noqa: F405
