"""Every enterprise schema carries each index once (issue 19: an import writes fewer indexes, a new
schema builds fewer; README, Migrations).

An index whose columns and operator classes lead another index of the same table answers every
query the other cannot, so it only costs: each row written to the table updates it, each schema
copy builds it, and with 10,000 schemas each is 10,000 files. Django adds one for every foreign key
(`db_index=True` by default) even when a composite index or unique constraint of ours already starts
with that column, and one `varchar_pattern_ops` index for every indexed text column, which a keyed
digest (a blind index, only ever compared whole) never uses.

Read from the migrated template, the schema every enterprise is copied from (the session's
enterprises were provisioned from it).
"""
from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, migrations, models, transaction
from django.db.migrations.loader import MigrationLoader

from core.migration_operations import AlterFieldDroppingItsIndex, DropPatternIndex
from privacy.fields import BlindIndexField
from tests.architecture.test_migrations import migration_sql

pytestmark = pytest.mark.django_db

# Tables declared by Django and the libraries we use; we do not redefine their fields.
NOT_OURS = {
    "auth_group_permissions": "django.contrib.auth",
    "auth_permission": "django.contrib.auth",
    "accounts_user_groups": "django.contrib.auth's PermissionsMixin, through table",
    "accounts_user_user_permissions": "django.contrib.auth's PermissionsMixin, through table",
    "axes_accessattempt": "django-axes",
    "guardian_groupobjectpermission": "django-guardian",
    "guardian_userobjectpermission": "django-guardian",
    "orgdata_departmentadministratorpermission": "its user foreign key is django-guardian's "
                                                 "UserObjectPermissionBase's",
}

_COVERED_INDEXES = """
    WITH ix AS (
        SELECT t.relname AS tbl, i.relname AS idx, x.indisunique AS uniq,
               x.indpred IS NOT NULL OR x.indexprs IS NOT NULL AS special, i.relam AS am,
               string_to_array(x.indkey::text, ' ') AS cols, string_to_array(x.indclass::text, ' ') AS classes
          FROM pg_index x
          JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relnamespace = %s::regnamespace AND t.relkind IN ('r', 'p'))
    SELECT a.tbl, a.idx, b.idx
      FROM ix a JOIN ix b ON a.tbl = b.tbl AND a.idx <> b.idx AND a.am = b.am
     WHERE NOT a.uniq AND NOT a.special AND NOT b.special
       AND a.cols = b.cols[1:cardinality(a.cols)] AND a.classes = b.classes[1:cardinality(a.classes)]
       -- of two equal indexes, one is reported: the one a unique index covers, or the later name
       AND (cardinality(a.cols) < cardinality(b.cols) OR b.uniq OR a.idx > b.idx)
     ORDER BY 1, 2, 3"""


def covered_indexes(schema: str) -> list[tuple[str, str, str]]:
    """(table, index, the index that covers it) for every non-unique index of `schema` whose
    columns and operator classes lead another index of the same table."""
    with connection.cursor() as cursor:
        cursor.execute(_COVERED_INDEXES, [schema])
        return cursor.fetchall()


def _pattern_indexes(schema: str, table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.relname
              FROM pg_index x
              JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class t ON t.oid = x.indrelid
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (x.indkey)
              JOIN pg_opclass o ON o.oid = ANY (x.indclass)
             WHERE t.relnamespace = %s::regnamespace AND t.relname = %s AND a.attname = %s
               AND o.opcname IN ('varchar_pattern_ops', 'text_pattern_ops')""", [schema, table, column])
        return [name for (name,) in cursor.fetchall()]


def test_no_enterprise_index_is_covered_by_another(enterprises):
    covered = [row for row in covered_indexes(settings.TENANT_TEMPLATE_SCHEMA) if row[0] not in NOT_OURS]
    assert covered == [], (
        "drop the covered index: db_index=False on the field, migrated with "
        "core.migration_operations.AlterFieldDroppingItsIndex (or RemoveIndex for one of ours)")


def test_no_digest_column_has_a_pattern_index(enterprises):
    digests = [(model._meta.db_table, field.column) for model in apps.get_models()
               for field in model._meta.local_fields if isinstance(field, BlindIndexField)]
    assert digests, "the check would pass with no blind index to look at"
    found = {(table, column): _pattern_indexes(settings.TENANT_TEMPLATE_SCHEMA, table, column)
             for table, column in digests}
    assert {place: names for place, names in found.items() if names} == {}, (
        "a keyed digest is only compared whole: core.migration_operations.DropPatternIndex")


def test_the_checks_find_a_covered_index_and_a_pattern_index():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("CREATE SCHEMA index_probe")
            cursor.execute("CREATE TABLE index_probe.t (a bigint, b varchar(40), c varchar(40) UNIQUE)")
            cursor.execute("CREATE INDEX t_a ON index_probe.t (a)")
            cursor.execute("CREATE INDEX t_a_b ON index_probe.t (a, b)")
            cursor.execute("CREATE INDEX t_b ON index_probe.t (b)")
            cursor.execute("CREATE INDEX t_b_pattern ON index_probe.t (b varchar_pattern_ops)")
            cursor.execute("CREATE INDEX t_c ON index_probe.t (c)")
            cursor.execute("CREATE INDEX t_a_partial ON index_probe.t (a) WHERE b IS NULL")
        found = covered_indexes("index_probe")
        pattern = _pattern_indexes("index_probe", "t", "b")
        transaction.set_rollback(True)
    assert found == [("t", "t_a", "t_a_b"), ("t", "t_c", "t_c_key")]
    assert pattern == ["t_b_pattern"]



def _sql(operation, state, *, app: str = "consent", backwards: bool = False) -> list[str]:
    """What `operation` of `app` would run from `state` (collected, not executed)."""
    migration = type("Migration", (migrations.Migration,), {"operations": [operation]})("0999_probe", app)
    return [statement.rstrip(";") for statement in migration_sql(migration, state, backwards=backwards)
            if not statement.startswith("--")]


def test_dropping_a_foreign_keys_index_leaves_its_constraint_alone_and_reverses():
    """Django's AlterField would drop the foreign key and add it again, checking every row of the
    table in every enterprise's schema; this drops the index by Django's own name for it."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    migration = loader.graph.nodes[("consent", "0007_drop_covered_indexes")]
    state = loader.project_state(("consent", "0007_drop_covered_indexes"), at_end=False)
    [operation] = [operation for operation in migration.operations
                   if (operation.model_name, operation.name) == ("legalbasisrecord", "person")]

    assert _sql(operation, state) == ['DROP INDEX IF EXISTS "consent_legalbasisrecord_person_id_7a50aa4b"']
    assert _sql(operation, state, backwards=True) == [
        'CREATE INDEX "consent_legalbasisrecord_person_id_7a50aa4b" ON "consent_legalbasisrecord" ("person_id")']

    changed = operation.field.clone()
    changed.remote_field.on_delete = models.CASCADE
    with pytest.raises(ValueError, match="db_index only"):
        _sql(AlterFieldDroppingItsIndex("legalbasisrecord", "person", changed), state)


def test_dropping_a_digests_pattern_index_changes_no_state_and_reverses():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    key = ("accounts", "0009_drop_covered_indexes")
    state = loader.project_state(key, at_end=False)
    [operation] = [operation for operation in loader.graph.nodes[key].operations if isinstance(operation, DropPatternIndex)]

    assert _sql(operation, state, app="accounts") == ['DROP INDEX IF EXISTS "accounts_user_mobile_index_e0cc4ee9_like"']
    assert _sql(operation, state, app="accounts", backwards=True) == [
        'CREATE INDEX "accounts_user_mobile_index_e0cc4ee9_like" ON "accounts_user" ("mobile_index" varchar_pattern_ops)']
    assert loader.project_state(key, at_end=True).models["accounts", "user"].fields["mobile_index"].unique
