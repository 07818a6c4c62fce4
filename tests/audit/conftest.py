from contextlib import contextmanager
from datetime import datetime

import pytest
from django.db import connection
from django_tenants.utils import schema_context


@pytest.fixture
def at_time(monkeypatch):
    """`with at_time(moment):` — code that asks django.utils.timezone.now() gets `moment`.

    Lets a test write log rows and audit entries "months ago" through the real writers.
    """

    @contextmanager
    def travel(moment: datetime):
        with monkeypatch.context() as patch:
            patch.setattr("django.utils.timezone.now", lambda: moment)
            yield moment

    return travel


def audit_rows_as_text(schema_name: str) -> str:
    """Every audit entry of a schema, every column, as one string: for "no value leaked" checks."""
    with schema_context(schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT string_agg(e::text, E'\\n') FROM audit_entry e")
        return cursor.fetchone()[0] or ""
