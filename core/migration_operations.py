"""Migration operations of our own (issue 18: indexes on existing tables never block writes).

An index added to a table created by an earlier migration is built with CREATE INDEX CONCURRENTLY
(tests/architecture/test_migrations.py enforces it): an enterprise's table keeps taking writes
while the index is built. PostgreSQL builds concurrently only outside a transaction, so the
migration says `atomic = False` and holds nothing else that must be all-or-nothing after the index.
"""
from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex, AlterField
from django.db.migrations.operations.base import Operation


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


# --- indexes that another index already covers (tests/architecture/test_indexes.py) ---------------
# Dropping an index is the catalogue change alone: done inside the migration's transaction, it holds
# the table's lock for milliseconds.

class AlterFieldDroppingItsIndex(AlterField):
    """AlterField for a field whose only change is `db_index=True` → `db_index=False`: drops the one
    index Django made for the field, by the name Django gave it, and touches nothing else.

    Django's own AlterField would also drop and re-add a foreign key's constraint, and re-adding
    validates every row of the table, in every enterprise's schema. Backwards builds the index again.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._move_index(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # Backwards, from_state is the state after this operation and to_state the one before it.
        self._move_index(app_label, schema_editor, from_state, to_state)

    def _move_index(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        old = from_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name)
        new = model._meta.get_field(self.name)
        if _without_db_index(old) != _without_db_index(new):
            raise ValueError(f"{app_label}.{self.model_name}.{self.name}: AlterFieldDroppingItsIndex changes "
                             "db_index only; use AlterField for anything else")
        if old.db_index and not new.db_index:
            name = schema_editor._create_index_name(model._meta.db_table, [old.column])
            schema_editor.execute(schema_editor._delete_index_sql(model, name))
        elif new.db_index and not old.db_index:
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[new]))


def _without_db_index(field) -> tuple:
    _name, path, args, kwargs = field.deconstruct()
    kwargs.pop("db_index", None)
    return path, args, kwargs


class DropPatternIndex(Operation):
    """Drops the `varchar_pattern_ops` index PostgreSQL's schema editor adds beside every indexed
    text column, for LIKE 'prefix%' — which a keyed digest (a blind index) never serves. The
    project state does not record these indexes, so the state is unchanged; backwards builds it."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, name: str):
        self.model_name, self.name = model_name, name

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            column = model._meta.get_field(self.name).column
            name = schema_editor._create_index_name(model._meta.db_table, [column], suffix="_like")
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.execute(schema_editor._create_like_index_sql(model, model._meta.get_field(self.name)))

    def describe(self):
        return f"Drop the pattern index of {self.model_name}.{self.name}"

    @property
    def migration_name_fragment(self):
        return f"drop_pattern_index_{self.model_name.lower()}_{self.name.lower()}"
