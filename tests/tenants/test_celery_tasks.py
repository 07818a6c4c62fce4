"""Celery round trips through a real worker process (see conftest.celery_worker)."""
import pytest
from django_tenants.utils import schema_context

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
