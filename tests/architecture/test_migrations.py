"""Migrations keep an enterprise serving while a deploy runs them (issue 18, README "Migrations").

- An index added to a table created by an earlier migration is built CONCURRENTLY: a plain
  CREATE INDEX blocks every write to the table until it is built, in every enterprise's schema.
  Read from the SQL each migration would run, so an index that comes with a field (a foreign key,
  `db_index`, `unique`) counts as well as an AddIndex.
- Within an app, a migration's name sorts after the migrations it depends on: routing and the task
  bases judge "this schema is behind the code" by comparing an app's greatest applied name with the
  code's (core.schemas.is_behind_the_code).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import DEFAULT_DB_ALIAS, connections, migrations, models
from django.db.migrations.loader import MigrationLoader
from django.test.utils import override_settings

from core.migration_operations import AddIndexConcurrentlyUnlessInTransaction

ROOT = Path(__file__).resolve().parents[2]

# Migrations that added an index to an existing table plainly before the rule, each with why it stays.
# A migration already applied is never run again, so changing these would only mislead.
PLAIN_INDEX_ON_EXISTING_TABLE_ALLOWED = {
    ("accounts", "0002_encrypted_mobile"): "applied everywhere before issue 18",
    ("accounts", "0003_user_display_name_prefix"): "applied everywhere before issue 18",
    ("rights", "0003_correction_value_protection_contact"): "applied everywhere before issue 18",
    ("approvals", "0002_encrypted_contents"): "rewrites every row and drops columns in one transaction: the "
                                              "tables are locked for the whole migration anyway, and it must be "
                                              "all or nothing",
    ("tenants", "0004_self_registration"): "the public enterprise table (one row per enterprise, built in "
                                           "milliseconds), its index with the column and values it indexes",
}

_CREATE_TABLE = re.compile(r'CREATE TABLE "(?P<table>[^"]+)"')
_CREATE_INDEX = re.compile(r'CREATE (UNIQUE )?INDEX (?P<concurrently>CONCURRENTLY )?.*? ON "(?P<table>[^"]+)"')
_ADD_UNIQUE = re.compile(r'ALTER TABLE "(?P<table>[^"]+)" ADD CONSTRAINT "[^"]+" UNIQUE')


def _our_apps() -> set[str]:
    return {path.parent.parent.name for path in ROOT.glob("*/migrations/__init__.py")}


def migration_sql(migration, state, *, backwards: bool = False) -> list[str]:
    """The SQL `migration` would run from `state` (backwards: undo from `state`, the state before
    it), in every schema whatever the tenant router says, as `migrate_schemas` runs it: outside a
    transaction (collected, nothing is executed)."""
    # A connection of its own: the test's is inside the test's transaction. It only quotes values.
    outside_a_transaction = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with override_settings(DATABASE_ROUTERS=[]):
            with outside_a_transaction.schema_editor(collect_sql=True, atomic=False) as editor:
                (migration.unapply if backwards else migration.apply)(state.clone(), editor, collect_sql=True)
    finally:
        outside_a_transaction.close()
    return editor.collected_sql


def plain_indexes_on_existing_tables(migration, state) -> list[str]:
    """The statements of `migration` that index a table it did not create, without CONCURRENTLY."""
    statements = migration_sql(migration, state)
    created = {match["table"] for statement in statements for match in _CREATE_TABLE.finditer(statement)}
    blocking = []
    for statement in statements:
        index = _CREATE_INDEX.match(statement)
        if index and not index["concurrently"] and index["table"] not in created:
            blocking.append(statement)
        unique = _ADD_UNIQUE.match(statement)
        if unique and unique["table"] not in created:
            blocking.append(statement)
    return blocking


@pytest.fixture(scope="module")
def loader():
    return MigrationLoader(None, ignore_no_migrations=True)


def _ours(loader):
    apps = _our_apps()
    return sorted(key for key in loader.graph.nodes if key[0] in apps)


@pytest.mark.django_db
def test_indexes_on_existing_tables_are_built_concurrently(loader):
    blocking = {}
    for key in _ours(loader):
        if key in PLAIN_INDEX_ON_EXISTING_TABLE_ALLOWED:
            continue
        found = plain_indexes_on_existing_tables(loader.graph.nodes[key], loader.project_state(key, at_end=False))
        if found:
            blocking[key] = found
    assert blocking == {}, (
        "build these with core.migration_operations.AddIndexConcurrentlyUnlessInTransaction in a migration "
        "with atomic = False (README, Migrations)")


@pytest.mark.django_db
def test_the_check_finds_a_plain_index_on_an_existing_table_and_accepts_a_concurrent_one(loader):
    leaf = max(key for key in loader.graph.leaf_nodes() if key[0] == "orgdata")
    state = loader.project_state(leaf, at_end=True)

    def probe(operation):
        migration = type("Migration", (migrations.Migration,), {"operations": [operation], "atomic": False})
        return plain_indexes_on_existing_tables(migration("0999_probe", "orgdata"), state)

    def index():
        return models.Index(fields=["employee_number", "entry_date"], name="probe_employee_number_entry")

    assert len(probe(migrations.AddIndex(model_name="employee", index=index()))) == 1
    assert len(probe(migrations.AddField(model_name="employee", name="probe_code",
                                         field=models.CharField(max_length=10, default="", db_index=True)))) == 2
    assert probe(AddIndexConcurrentlyUnlessInTransaction(model_name="employee", index=index())) == []
    assert probe(migrations.CreateModel(name="Probe", fields=[
        ("id", models.BigAutoField(primary_key=True)), ("code", models.CharField(max_length=10, db_index=True))])) == []


def test_a_migration_that_builds_concurrently_runs_outside_a_transaction(loader):
    # With atomic = True the operation would build plainly (core.migration_operations) on every table.
    inside_a_transaction = [
        key for key in _ours(loader)
        if loader.graph.nodes[key].atomic
        and any(isinstance(operation, AddIndexConcurrently) for operation in loader.graph.nodes[key].operations)]
    assert inside_a_transaction == []


def test_within_an_app_a_migration_sorts_after_those_it_depends_on(loader):
    out_of_order = [
        (key, dependency) for key in _ours(loader) for dependency in loader.graph.node_map[key].parents
        if dependency.key[0] == key[0] and not dependency.key[1] < key[1]]
    assert out_of_order == []


def test_the_allowed_plain_indexes_still_exist(loader):
    # A stale allowance would let a new migration of the same name through unexamined.
    assert set(PLAIN_INDEX_ON_EXISTING_TABLE_ALLOWED) <= set(loader.graph.nodes)
