"""S3: the headcount the `enterprise_headcount` task sends out is anonymised."""
import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tasks import enterprise_headcount
from tests.accounts.factories import EmployeeAccountFactory


def _headcount(enterprise):
    # Run in this process, so that it sees the people this test's transaction added; the real
    # worker round trip is tests/tenants/test_celery_tasks.py.
    with schema_context(enterprise.schema_name):
        return enterprise_headcount.apply(throw=True).get()


@pytest.mark.promise("S3")
def test_the_headcount_suppresses_fewer_than_5_people_and_gives_5_or_more(enterprises):
    with schema_context(enterprises.a.schema_name):
        active = User.objects.filter(is_active=True).count()
        EmployeeAccountFactory.create_batch(3 - active)
    assert _headcount(enterprises.a) == {"schema": enterprises.a.schema_name, "active_accounts": "<5"}
    with schema_context(enterprises.a.schema_name):
        EmployeeAccountFactory.create_batch(3)
    assert _headcount(enterprises.a) == {"schema": enterprises.a.schema_name, "active_accounts": 6}


@pytest.mark.promise("S3")
def test_the_headcount_counts_active_accounts_only(enterprises):
    with schema_context(enterprises.a.schema_name):
        active = User.objects.filter(is_active=True).count()
        EmployeeAccountFactory.create_batch(6 - active)
        EmployeeAccountFactory.create_batch(2, is_active=False)
    assert _headcount(enterprises.a)["active_accounts"] == 6
