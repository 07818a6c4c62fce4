"""A migration that exists only while a test or a benchmark runs: a new column and an index on
orgdata's employee table, in every enterprise schema.

`throwaway_migration(directory)` writes a migrations package holding orgdata's own migrations plus
the new one, points Django at it (MIGRATION_MODULES) and yields the new migration's key;
`remove_throwaway_migration()` takes the column, the index and the django_migrations rows out of
every schema again.
"""
from __future__ import annotations

import shutil
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test.utils import override_settings

from tenants.schema_migrations import graph_loader

APP_LABEL = "orgdata"
MIGRATION_NAME = "9999_throwaway_note"
# With `concurrently`, the column comes first in a migration of its own (as the house rule has it:
# an index on an existing table is built CONCURRENTLY, alone in a non-atomic migration).
COLUMN_MIGRATION_NAME = "9998_throwaway_note_column"
COLUMN = "throwaway_note"
INDEX = "employee_throwaway_note"
TABLE = "orgdata_employee"

_ADD_COLUMN = '''
        migrations.AddField("employee", "{column}", models.CharField(max_length=40, null=True)),
'''
_ADD_INDEX = '''
        migrations.AddIndex("employee", models.Index(fields=["{column}"], name="{index}")),
'''
_ADD_INDEX_CONCURRENTLY = '''
        AddIndexConcurrently("employee", models.Index(fields=["{column}"], name="{index}")),
'''


@contextmanager
def throwaway_migration(directory: Path, *, concurrently: bool = False):
    """While open, the code's migrations include orgdata's MIGRATION_NAME (column and index), or
    with `concurrently` COLUMN_MIGRATION_NAME (the column) and MIGRATION_NAME (the index, built
    CONCURRENTLY outside a transaction); yields their keys."""
    leaf = next(name for app, name in graph_loader().graph.leaf_nodes() if app == APP_LABEL)
    module = f"throwaway_migrations_{uuid.uuid4().hex[:8]}"
    package = directory / module
    shutil.copytree(Path(__import__(f"{APP_LABEL}.migrations").__file__).parent / "migrations", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    if concurrently:
        _write(package, COLUMN_MIGRATION_NAME, leaf, _ADD_COLUMN, atomic=True)
        _write(package, MIGRATION_NAME, COLUMN_MIGRATION_NAME, _ADD_INDEX_CONCURRENTLY, atomic=False)
        keys = [(APP_LABEL, COLUMN_MIGRATION_NAME), (APP_LABEL, MIGRATION_NAME)]
    else:
        _write(package, MIGRATION_NAME, leaf, _ADD_COLUMN + _ADD_INDEX, atomic=True)
        keys = [(APP_LABEL, MIGRATION_NAME)]
    sys.path.insert(0, str(directory))
    try:
        with override_settings(MIGRATION_MODULES={APP_LABEL: module}):
            yield keys
    finally:
        sys.path.remove(str(directory))
        for name in [name for name in sys.modules if name == module or name.startswith(module + ".")]:
            del sys.modules[name]


def _write(package: Path, name: str, after: str, operations: str, *, atomic: bool) -> None:
    (package / f"{name}.py").write_text(
        "from django.contrib.postgres.operations import AddIndexConcurrently\n"
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    atomic = {atomic}\n"
        f"    dependencies = [({APP_LABEL!r}, {after!r})]\n"
        f"    operations = [{operations.format(column=COLUMN, index=INDEX)}    ]\n"
    )


def schemas_with_employees() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname FROM pg_tables WHERE tablename = %s ORDER BY 1", [TABLE])
        return [row[0] for row in cursor.fetchall()]


def remove_throwaway_migration() -> None:
    """Every schema as it was before the throwaway migration (committed on this connection)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
                       "WHERE c.relname = 'django_migrations' AND c.relkind = 'r'")
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = ANY(%s)',
                           [APP_LABEL, [MIGRATION_NAME, COLUMN_MIGRATION_NAME]])
        for schema in schemas_with_employees():
            cursor.execute(f'DROP INDEX IF EXISTS "{schema}"."{INDEX}"')
            cursor.execute(f'ALTER TABLE "{schema}"."{TABLE}" DROP COLUMN IF EXISTS "{COLUMN}"')
