"""Celery round trips through a real worker process (see conftest.celery_worker)."""
import time

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from core.schemas import expected_latest_migrations

from accounts.tasks import enterprise_headcount
from tenants.tasks import run_for_ready_enterprises

pytestmark = pytest.mark.usefixtures("celery_worker")
TIMEOUT = 30


def test_a_task_runs_in_the_schema_it_was_sent_from(session_enterprises):
    for each in (session_enterprises.a, session_enterprises.b):
        with schema_context(each.schema_name):
            result = enterprise_headcount.delay().get(timeout=TIMEOUT)
        assert result == {"schema": each.schema_name, "active_accounts": "<5"}  # just the manager (S3)


def test_an_enterprise_task_sent_without_a_schema_fails_loudly(session_enterprises):
    with pytest.raises(Exception) as failure:
        enterprise_headcount.delay().get(timeout=TIMEOUT)  # sent from the public schema
    assert type(failure.value).__name__ == "MissingEnterpriseSchema"


def test_an_enterprise_task_refuses_an_enterprise_being_cancelled(session_enterprises):
    with schema_context(session_enterprises.cancelling.schema_name):
        with pytest.raises(Exception) as failure:
            enterprise_headcount.delay().get(timeout=TIMEOUT)
    assert type(failure.value).__name__ == "EnterpriseNotReady"


def test_periodic_fan_out_reaches_ready_enterprises_only(session_enterprises):
    sent = run_for_ready_enterprises.delay("accounts.tasks.enterprise_headcount").get(timeout=TIMEOUT)
    # alpha and bravo; the cancelling enterprise is skipped
    assert sent == 2


def test_an_enterprise_task_waits_while_its_schema_is_behind_and_runs_once_it_is_migrated(session_enterprises):
    """Issue 18: the worker (another process) must see the schema lack a migration: the row is
    deleted and put back through a connection of its own, committed."""
    schema, name = session_enterprises.b.schema_name, expected_latest_migrations()["orgdata"]
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                         host=db["HOST"] or None, port=db["PORT"] or None, autocommit=True) as other:
        applied = other.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s '
                                "RETURNING applied", ["orgdata", name]).fetchone()[0]
        try:
            with schema_context(schema):
                result = enterprise_headcount.delay()
            deadline = time.monotonic() + TIMEOUT
            while result.state != "RETRY" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert result.state == "RETRY"
            assert type(result.result).__name__ == "EnterpriseUpgrading"
        finally:
            other.execute(f'INSERT INTO "{schema}".django_migrations (app, name, applied) VALUES (%s, %s, %s)',
                          ["orgdata", name, applied])

    assert result.get(timeout=TIMEOUT) == {"schema": schema, "active_accounts": "<5"}
