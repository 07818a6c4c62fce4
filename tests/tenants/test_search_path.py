"""The connection's search_path is the tenant boundary; it must survive rollbacks.

django-tenants #1262: with TENANT_LIMIT_SET_CALLS a `SET search_path` issued inside a savepoint is
undone by PostgreSQL on ROLLBACK TO SAVEPOINT, but the library believed it still held, so the next
query ran in the previous enterprise's schema.
"""
import pytest
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from tests.accounts.factories import UserFactory


class Boom(Exception):
    pass


def _current_search_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


@pytest.fixture
def marked(enterprises):
    with schema_context(enterprises.a.schema_name):
        UserFactory(display_name="only-in-a")
    with schema_context(enterprises.b.schema_name):
        UserFactory(display_name="only-in-b")
    return enterprises


def _names() -> set[str]:
    return set(User.objects.filter(display_name__startswith="only-in-").values_list("display_name", flat=True))


def test_after_rollback_to_savepoint_queries_run_in_the_schema_the_connection_claims(marked):
    connection.set_tenant(marked.a.enterprise)
    assert _names() == {"only-in-a"}  # SET search_path to A ran inside the test transaction

    with pytest.raises(Boom):
        with transaction.atomic():  # a savepoint
            connection.set_tenant(marked.b.enterprise)
            assert _names() == {"only-in-b"}  # SET to B ran inside the savepoint
            raise Boom  # ROLLBACK TO SAVEPOINT: PostgreSQL is back on A's search_path

    assert connection.schema_name == marked.b.schema_name
    assert _names() == {"only-in-b"}
    assert _current_search_path().startswith(marked.b.schema_name)


def test_after_a_failed_statement_in_a_savepoint_the_schema_stays_right(marked):
    connection.set_tenant(marked.b.enterprise)
    assert _names() == {"only-in-b"}
    try:
        with transaction.atomic():
            connection.set_tenant(marked.a.enterprise)
            UserFactory(mobile="13611112222")
            UserFactory(mobile="13611112222")  # unique violation aborts the savepoint
    except IntegrityError:
        pass

    assert _names() == {"only-in-a"}
    assert _current_search_path().startswith(marked.a.schema_name)


def test_returning_to_the_same_schema_issues_no_new_set(marked):
    connection.set_tenant(marked.a.enterprise)
    _names()
    remembered = connection.search_path_set_schemas

    connection.set_tenant(marked.a.enterprise)

    assert remembered is not None
    assert connection.search_path_set_schemas == remembered
