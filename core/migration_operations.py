"""Migration operations of our own (issue 18: indexes on existing tables never block writes).

An index added to a table created by an earlier migration is built with CREATE INDEX CONCURRENTLY
(tests/architecture/test_migrations.py enforces it): an enterprise's table keeps taking writes
while the index is built. PostgreSQL builds concurrently only outside a transaction, so the
migration says `atomic = False` and holds nothing else that must be all-or-nothing after the index.
"""
from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyUnlessInTransaction(AddIndexConcurrently):
    """django.contrib.postgres's AddIndexConcurrently, which builds the index plainly when the
    migration runs inside a transaction instead of refusing to run.

    Only a schema being created is migrated inside one: provisioning runs within a registration's
    transaction and brings a lagging template or spare schema up to date, and tests provision inside
    theirs. Those tables are empty. `manage.py migrate_schemas` never opens one around a migration
    with `atomic = False`, so enterprises' tables get the concurrent build.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.in_atomic_block:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)
        else:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.in_atomic_block:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
        else:
            super().database_backwards(app_label, schema_editor, from_state, to_state)
