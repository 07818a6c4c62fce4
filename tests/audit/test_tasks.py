"""S2 through a real Celery worker: beat's daily fan-out runs the retention task in every ready
enterprise.

The worker sees committed data only, so this test commits its log rows (and the month partitions
they need) into a session enterprise from a connection of its own, and removes them at the end.
Nothing else in the session enterprises is old enough for the job to touch.
"""
import time

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from audit import partitions
from audit import retention
from audit.partitions import ACCESS_LOG
from tenants.tasks import run_for_ready_enterprises
from tests.committing import committed

pytestmark = pytest.mark.usefixtures("celery_worker")
TIMEOUT = 60


def _look(schema: str):
    def work():
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("SELECT user_agent FROM audit_access_log WHERE user_agent LIKE 'worker-%%'")
            remaining = {row[0] for row in cursor.fetchall()}
            return remaining, {partition.name for partition in partitions.partitions_of(ACCESS_LOG)}

    return committed("public", work)


@pytest.mark.promise("S2")
def test_the_daily_retention_job_drops_expired_log_months_in_the_worker(session_enterprises):
    schema = session_enterprises.a.schema_name
    now = timezone.now()
    seven_months_ago, five_months_ago = retention.months_before(now, 7), retention.months_before(now, 5)
    expired = partitions.partition_name(ACCESS_LOG, partitions.month_of(seven_months_ago))
    created = []

    def set_up() -> None:
        with schema_context(schema), connection.cursor() as cursor:
            for moment in (seven_months_ago, five_months_ago):
                if partitions.ensure_month(ACCESS_LOG, partitions.month_of(moment)):
                    created.append(partitions.partition_name(ACCESS_LOG, partitions.month_of(moment)))
            for moment, marker in ((seven_months_ago, "worker-seven-months"), (five_months_ago, "worker-five-months")):
                cursor.execute("INSERT INTO audit_access_log (occurred_at, method, path, status, user_agent,"
                               " duration_ms) VALUES (%s, 'GET', '/console/', 200, %s, 1)", [moment, marker])

    def clean_up() -> None:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_access_log WHERE user_agent LIKE 'worker-%%'")
            for name in created:
                cursor.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}"')

    committed("public", set_up)
    try:
        assert expired in _look(schema)[1]
        # What beat sends once a day (config/settings.py, "apply-retention").
        sent = run_for_ready_enterprises.delay("audit.tasks.apply_retention").get(timeout=TIMEOUT)
        assert sent >= 2  # both ready session enterprises; the cancelling one is skipped
        deadline = time.monotonic() + TIMEOUT
        remaining, names = _look(schema)
        while "worker-seven-months" in remaining and time.monotonic() < deadline:
            time.sleep(0.2)
            remaining, names = _look(schema)
    finally:
        committed("public", clean_up)

    assert remaining == {"worker-five-months"}  # the 5-month-old row survives, its month too
    assert expired not in names
