"""migrate_schemas over every schema (tenants.schema_migrations): one query finds the schemas that
are behind, a bounded pool brings them up to date, a failure stops cleanly and a re-run finishes.

The command commits in real schemas (the template and the session's enterprises) on connections
of its own, so it runs in a thread here and every test takes its throwaway migration out again.
"""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.schema_migrations import behind_schemas, graph_loader, tenant_schemas_in_order
from tests.committing import in_a_thread
from tests.tenants import throwaway_migration as throwaway


def _migrate(**options) -> str:
    from io import StringIO

    out = StringIO()
    in_a_thread(lambda: call_command("migrate_schemas", stdout=out, **options),
                cleanup=lambda: connection.close())
    return out.getvalue()


def _every_tenant_schema() -> list[str]:
    template, others = tenant_schemas_in_order()
    return [target.name for target in ([template] if template else []) + others]


def _behind() -> dict:
    expected = graph_loader().graph.nodes
    return behind_schemas(_every_tenant_schema(), expected)


def _columns(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                       [schema, throwaway.TABLE])
        return {row[0] for row in cursor.fetchall()}


def _indexes(schema: str) -> dict[str, bool]:
    """Index name → whether it is valid, on the employee table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s", [schema])
        return dict(cursor.fetchall())


def _has_row(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations WHERE app = %s AND name = %s',
                       [throwaway.APP_LABEL, throwaway.MIGRATION_NAME])
        return cursor.fetchone()[0] == 1


def _committed(sql: str) -> None:
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    in_a_thread(run, cleanup=lambda: connection.close())


@pytest.fixture
def schemas(session_enterprises, db) -> list[str]:
    """The template and the session's enterprises, committed; more than one pool thread's worth."""
    names = _every_tenant_schema()
    assert {session_enterprises.a.schema_name, session_enterprises.b.schema_name} <= set(names)
    assert not _behind(), "the test database must start up to date"
    return names


@pytest.fixture
def new_migration(schemas, tmp_path):
    with throwaway.throwaway_migration(tmp_path) as key:
        yield key
    in_a_thread(throwaway.remove_throwaway_migration, cleanup=lambda: connection.close())
    assert not _behind()


@pytest.fixture
def new_concurrent_migration(schemas, tmp_path):
    with throwaway.throwaway_migration(tmp_path, concurrently=True) as key:
        yield key
    in_a_thread(throwaway.remove_throwaway_migration, cleanup=lambda: connection.close())


def test_behind_detection_finds_exactly_the_schemas_lacking_a_migration(schemas, new_migration):
    (key,) = new_migration
    assert _behind() == {name: frozenset({key}) for name in schemas}

    _migrate(verbosity=0)
    assert _behind() == {}

    # Two schemas lose the migration again (as if restored from an older backup).
    lagging = schemas[1:3]
    for schema in lagging:
        _committed(f'DELETE FROM "{schema}".django_migrations WHERE name = \'{throwaway.MIGRATION_NAME}\'; '
                   f'DROP INDEX "{schema}"."{throwaway.INDEX}"; '
                   f'ALTER TABLE "{schema}"."{throwaway.TABLE}" DROP COLUMN "{throwaway.COLUMN}"')
    assert _behind() == {name: frozenset({key}) for name in lagging}


def test_parallel_apply_brings_every_schema_up_to_date_with_column_index_and_record(schemas, new_migration):
    output = _migrate(parallel=3, verbosity=1)

    assert f"{len(schemas)} of {len(schemas)} schemas that were behind migrated" in output
    assert _behind() == {}
    for schema in schemas:
        assert throwaway.COLUMN in _columns(schema)
        assert _indexes(schema).get(throwaway.INDEX) is True
        assert _has_row(schema)


def test_a_failing_schema_stops_the_run_is_named_left_unchanged_and_a_rerun_finishes(
        schemas, new_migration, session_enterprises):
    failing = session_enterprises.a.schema_name
    # Someone added the column by hand in one enterprise: the migration's ADD COLUMN fails there.
    _committed(f'ALTER TABLE "{failing}"."{throwaway.TABLE}" ADD COLUMN "{throwaway.COLUMN}" text')
    later = [name for name in schemas if name > failing]
    assert later, "schemas after the failing one show that no new schema was started"

    with pytest.raises(CommandError) as failed:
        _migrate(parallel=1, verbosity=0)

    assert failing in str(failed.value) and "already exists" in str(failed.value)
    assert throwaway.INDEX not in _indexes(failing)  # the migration's index rolled back with it
    assert not _has_row(failing)
    assert set(_behind()) == {failing, *later}

    _committed(f'ALTER TABLE "{failing}"."{throwaway.TABLE}" DROP COLUMN "{throwaway.COLUMN}"')
    output = _migrate(parallel=2, verbosity=1)
    assert f"{1 + len(later)} of {1 + len(later)} schemas that were behind migrated" in output
    assert _behind() == {}
    assert all(throwaway.COLUMN in _columns(name) for name in schemas)


def test_a_concurrent_index_is_built_outside_a_transaction_and_an_invalid_leftover_does_not_break_the_rerun(
        schemas, new_concurrent_migration, session_enterprises):
    column_migration, index_migration = new_concurrent_migration
    interrupted = session_enterprises.b.schema_name
    # What an interrupted CREATE INDEX CONCURRENTLY leaves: the column's migration applied, the
    # index there but INVALID, the index's migration not recorded.
    _committed(f'ALTER TABLE "{interrupted}"."{throwaway.TABLE}" ADD COLUMN "{throwaway.COLUMN}" varchar(40); '
               f"INSERT INTO \"{interrupted}\".django_migrations (app, name, applied) "
               f"VALUES ('{throwaway.APP_LABEL}', '{throwaway.COLUMN_MIGRATION_NAME}', now()); "
               f'CREATE INDEX "{throwaway.INDEX}" ON "{interrupted}"."{throwaway.TABLE}" ("{throwaway.COLUMN}"); '
               f"UPDATE pg_index SET indisvalid = false "
               f"WHERE indexrelid = '\"{interrupted}\".\"{throwaway.INDEX}\"'::regclass")
    assert _indexes(interrupted)[throwaway.INDEX] is False
    assert _behind()[interrupted] == frozenset({index_migration})

    _migrate(parallel=2, verbosity=0)

    assert _behind() == {}
    for schema in schemas:
        assert _indexes(schema).get(throwaway.INDEX) is True, schema


def test_a_run_with_nothing_behind_executes_no_ddl(schemas):
    with CaptureQueriesContext(connection) as queries:
        call_command("migrate_schemas", verbosity=0)

    statements = [query["sql"].lstrip().split(None, 1)[0].upper() for query in queries.captured_queries]
    assert statements, "the run must at least look"
    assert not {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"} & set(statements)
    assert _behind() == {}
