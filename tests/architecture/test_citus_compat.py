"""Scale-out (issue 18, docs/scale-out.md): the schema layout must stay one that PostgreSQL with Citus
schema-based sharding can distribute. Each enterprise schema becomes a distributed schema (all its
tables on one worker node, movable as a whole); the public schema's tables become reference tables
(copied to every node). Citus cannot run here, so these checks read the real migrated database for
what would break that layout:

- a foreign key from a public table into an enterprise schema (a reference table cannot point into
  a distributed schema), or between two enterprise schemas;
- a column default, trigger or view in one enterprise schema that uses a sequence, function or table
  of another enterprise schema (it could live on another node);
- a sequence in the public schema used by an enterprise table (every node would need one shared
  counter).

Schemas compared: `public`, the template and spare schemas, and the session's enterprises. An
archive schema (`legal_hold_<id>`) is an enterprise's own distributed schema under the same rules.
"""
from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _enterprise_schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema') "
                       "AND nspname NOT LIKE 'pg\\_%'")
        return {name for (name,) in cursor.fetchall()}


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _crossing_foreign_keys(enterprise_schemas: set[str]) -> list[tuple]:
    return [
        (name, source, target) for name, source, target in _rows("""
            SELECT c.conname, sn.nspname, tn.nspname
              FROM pg_constraint c
              JOIN pg_class s ON s.oid = c.conrelid JOIN pg_namespace sn ON sn.oid = s.relnamespace
              JOIN pg_class t ON t.oid = c.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
             WHERE c.contype = 'f' AND sn.nspname <> tn.nspname""")
        # An enterprise table may point at a public (reference) table; nothing else may cross.
        if not (source in enterprise_schemas and target == "public")
    ]


def _foreign_sequences(enterprise_schemas: set[str]) -> list[tuple]:
    # Column defaults: nextval('<schema>.<sequence>') resolved through pg_depend.
    return [
        (table_schema, table, sequence_schema) for table_schema, table, sequence_schema in _rows("""
            SELECT tn.nspname, t.relname, qn.nspname
              FROM pg_depend d
              JOIN pg_attrdef ad ON ad.oid = d.objid AND d.classid = 'pg_attrdef'::regclass
              JOIN pg_class t ON t.oid = ad.adrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
              JOIN pg_class q ON q.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass AND q.relkind = 'S'
              JOIN pg_namespace qn ON qn.oid = q.relnamespace""")
        if table_schema in enterprise_schemas and sequence_schema != table_schema
    ]


def test_no_foreign_key_points_from_public_into_an_enterprise_schema_or_across_enterprises(session_enterprises):
    enterprise_schemas = _enterprise_schemas()
    assert session_enterprises.a.schema_name in enterprise_schemas
    assert _crossing_foreign_keys(enterprise_schemas) == []


def test_the_checks_see_a_crossing_key_and_a_shared_sequence(session_enterprises):
    """The checks above can fail: a public table pointing into an enterprise, and an enterprise
    table numbered by a public sequence, are both reported (created in this test's transaction,
    rolled back)."""
    schema = session_enterprises.a.schema_name
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE public.citus_probe (id bigint REFERENCES "{schema}".accounts_user (id))')
        cursor.execute("CREATE SEQUENCE public.citus_probe_numbers")
        cursor.execute(f'CREATE TABLE "{schema}".citus_probe (n bigint DEFAULT nextval(\'public.citus_probe_numbers\'))')
    enterprise_schemas = _enterprise_schemas()
    assert [(source, target) for _name, source, target in _crossing_foreign_keys(enterprise_schemas)] == \
        [("public", schema)]
    assert _foreign_sequences(enterprise_schemas) == [(schema, "citus_probe", "public")]


def test_enterprise_tables_use_only_their_own_schemas_sequences_and_functions(session_enterprises):
    enterprise_schemas = _enterprise_schemas()
    assert _foreign_sequences(enterprise_schemas) == []
    foreign_trigger_functions = [
        (table_schema, trigger, function_schema) for table_schema, trigger, function_schema in _rows("""
            SELECT tn.nspname, tg.tgname, pn.nspname
              FROM pg_trigger tg
              JOIN pg_class t ON t.oid = tg.tgrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
              JOIN pg_proc p ON p.oid = tg.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
             WHERE NOT tg.tgisinternal""")
        # A trigger's function lives in its own schema or is built in (pg_catalog).
        if table_schema in enterprise_schemas and function_schema not in (table_schema, "pg_catalog")
    ]
    assert foreign_trigger_functions == []


def test_no_view_reads_across_enterprise_schemas(session_enterprises):
    enterprise_schemas = _enterprise_schemas()
    crossing = [
        (view_schema, view, table_schema) for view_schema, view, table_schema in _rows("""
            SELECT DISTINCT vn.nspname, v.relname, tn.nspname
              FROM pg_depend d
              JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
              JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
              JOIN pg_class t ON t.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
              JOIN pg_namespace tn ON tn.oid = t.relnamespace
             WHERE v.relkind IN ('v', 'm') AND v.oid <> t.oid""")
        if view_schema != table_schema and (view_schema in enterprise_schemas or table_schema in enterprise_schemas)
        and table_schema not in ("pg_catalog", "information_schema")
    ]
    assert crossing == []
