"""A new enterprise schema made from the template's own catalogue, in one round trip.

The template (settings.TENANT_TEMPLATE_SCHEMA) is the fully migrated enterprise schema. Its
structure is read from the catalogue once per template version (the rows of its migration table)
and turned into one script: tables, sequences, constraints, indexes and triggers under the
template's own names, then the template's rows (the consent catalogue, permissions, the recorded
migrations) and sequence positions. Replaying it with the new schema first on the search path
makes a copy; `copy_template_into` then compares the copy with the template before it commits.

django-tenants' clone function did the same by walking the catalogue once per object for every
copy (seconds, growing with the number of schemas), and gave constraints generated names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, transaction


class SchemaCopyMismatch(RuntimeError):
    """A copied schema differs from its template; it is rolled back, never served."""


@dataclass(frozen=True)
class _Script:
    version: tuple
    statements: str
    structure: tuple


_cached: _Script | None = None


def copy_template_into(template: str, schema_name: str) -> None:
    """Create `schema_name` as a copy of `template` (structure, names and rows) in one transaction.

    Refuses (SchemaCopyMismatch, nothing left behind) a copy whose tables, columns, constraints,
    indexes, sequences or triggers differ from the template's in any name or definition.
    """
    script = _script_for(template)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        previous_path = cursor.fetchone()[0]
        cursor.execute(
            f"CREATE SCHEMA {_quote(schema_name)};\n"
            f"SET LOCAL search_path TO {_quote(schema_name)}, public;\n"
            + script.statements.replace(_TEMPLATE_MARK, _quote(template)).replace(_SCHEMA_MARK, _quote(schema_name))
            + f"\nSELECT set_config('search_path', {_literal(previous_path)}, true);"
        )
        copied = _structure(cursor, schema_name)
        if copied != script.structure:
            missing = sorted(set(script.structure) - set(copied))[:3]
            extra = sorted(set(copied) - set(script.structure))[:3]
            raise SchemaCopyMismatch(f"schema {schema_name} differs from its template: lacks {missing}, has {extra}")


def template_structure(template: str) -> tuple:
    """The template's structure as the copy check compares it (for tests and diagnostics)."""
    with connection.cursor() as cursor:
        return _structure(cursor, template)


def _script_for(template: str) -> _Script:
    global _cached
    with connection.cursor() as cursor:
        version = _version(cursor, template)
        if _cached is None or _cached.version != version:
            _cached = _Script(version, _generate(cursor, template), _structure(cursor, template))
    return _cached


def _version(cursor, template: str) -> tuple:
    # A template migrated again (even to the same migrations) gets new migration rows, so a script
    # read from an earlier template is never replayed.
    cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [template])
    namespace = cursor.fetchone()[0]
    cursor.execute(f"SELECT count(*), max(id), max(applied) FROM {_quote(template)}.django_migrations")
    return (namespace, *cursor.fetchone())


# Stand for the template's and the new schema's quoted names in a script.
_TEMPLATE_MARK = "\x00template\x00"
_SCHEMA_MARK = "\x00schema\x00"


def _in_schema(cursor, schema: str, query: str, params=()) -> list[tuple]:
    """Rows of a catalogue query run with only `schema` and public on the search path, so that
    PostgreSQL prints the schema's object names unqualified."""
    with transaction.atomic():  # the path is set for this transaction only
        return _in_schema_transaction(cursor, schema, query, params)


def _in_schema_transaction(cursor, schema: str, query: str, params) -> list[tuple]:
    cursor.execute("SELECT current_setting('search_path')")
    previous_path = cursor.fetchone()[0]
    cursor.execute(f"SELECT set_config('search_path', {_literal(f'{_quote(schema)}, public')}, true)")
    try:
        cursor.execute(query, params)
        return cursor.fetchall()
    finally:
        cursor.execute(f"SELECT set_config('search_path', {_literal(previous_path)}, true)")


_RELATIONS = """
    SELECT c.oid, c.relname, c.relkind, c.relispartition,
           CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
           CASE WHEN c.relispartition THEN (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                                            WHERE i.inhrelid = c.oid) END,
           CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END
      FROM pg_class c WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p')
     ORDER BY c.relispartition, c.relname
"""

_COLUMNS = """
    SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
           a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
           CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_collation co ON co.oid = a.attcollation
     WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attrelid, a.attnum
"""

_SEQUENCES = """
    SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
           s.seqcycle, d.deptype, t.relname, a.attname
      FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
      LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      LEFT JOIN pg_class t ON t.oid = d.refobjid
      LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'S'
     ORDER BY c.relname
"""

# Constraints declared on the table itself: those a partition inherits come with it.
_CONSTRAINTS = """
    SELECT c.contype, t.relname, c.conname, pg_get_constraintdef(c.oid)
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
     WHERE c.connamespace = %s::regnamespace AND c.conparentid = 0 AND c.conislocal
     ORDER BY c.contype = 'f', t.relname, c.conname
"""

# Indexes of their own: not those backing a constraint, not a partition's copy of its parent's.
_INDEXES = """
    SELECT i.relname, replace(pg_get_indexdef(i.oid), ' ON ONLY ', ' ON ')
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE i.relnamespace = %s::regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.contype IN ('p', 'u', 'x')
                                                      AND c.conrelid = x.indrelid)
       AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.oid)
     ORDER BY i.relname
"""

_FUNCTIONS = """
    SELECT p.proname, pg_get_functiondef(p.oid)
      FROM pg_proc p WHERE p.pronamespace = %s::regnamespace ORDER BY p.proname
"""

# Privileges the template's owner granted to other roles (e.g. audit's retention role).
_GRANTS = """
    SELECT 'SCHEMA', NULL, a.privilege_type, a.grantee::regrole::text
      FROM pg_namespace n, aclexplode(n.nspacl) a
     WHERE n.oid = %(schema)s::regnamespace AND a.grantee <> n.nspowner
    UNION ALL
    SELECT 'TABLE', c.relname, a.privilege_type, a.grantee::regrole::text
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.relnamespace = %(schema)s::regnamespace AND a.grantee <> c.relowner
    UNION ALL
    SELECT 'FUNCTION', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', a.privilege_type,
           a.grantee::regrole::text
      FROM pg_proc p, aclexplode(p.proacl) a
     WHERE p.pronamespace = %(schema)s::regnamespace AND a.grantee <> p.proowner
"""

_TRIGGERS = """
    SELECT t.tgname, pg_get_triggerdef(t.oid)
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal AND t.tgparentid = 0
     ORDER BY c.relname, t.tgname
"""


def _generate(cursor, template: str) -> str:
    """The DDL and data statements that rebuild `template` in whichever schema is first on the
    search path; the template's own name appears only as `_TEMPLATE_MARK` (the source of rows)."""
    relations = _in_schema(cursor, template, _RELATIONS, [_quote(template)])
    columns: dict[int, list[tuple]] = {}
    for row in _in_schema(cursor, template, _COLUMNS, [_quote(template)]):
        columns.setdefault(row[0], []).append(row[1:])
    sequences = _in_schema(cursor, template, _SEQUENCES, [_quote(template)])
    identity_sequences = {(row[9], row[10]): row for row in sequences if row[8] == "i"}
    constraints = _in_schema(cursor, template, _CONSTRAINTS, [_quote(template)])
    indexes = _in_schema(cursor, template, _INDEXES, [_quote(template)])
    triggers = _in_schema(cursor, template, _TRIGGERS, [_quote(template)])
    functions = _in_schema(cursor, template, _FUNCTIONS, [_quote(template)])
    grants = _in_schema(cursor, template, _GRANTS, {"schema": _quote(template)})

    statements = []
    for row in sequences:
        if row[8] != "i":
            statements.append(f"CREATE SEQUENCE {_quote(row[0])} {_sequence_options(row)};")
    for oid, name, kind, is_partition, partition_key, parent, bound in relations:
        if is_partition:
            statements.append(f"CREATE TABLE {_quote(name)} PARTITION OF {_quote(parent)} {bound};")
            continue
        definitions = [_column_definition(name, column, identity_sequences) for column in columns.get(oid, [])]
        partitioning = f" PARTITION BY {partition_key}" if kind == "p" else ""
        statements.append(f"CREATE TABLE {_quote(name)} (\n  " + ",\n  ".join(definitions) + f"\n){partitioning};")
    for row in sequences:
        if row[8] == "a":
            statements.append(f"ALTER SEQUENCE {_quote(row[0])} OWNED BY {_quote(row[9])}.{_quote(row[10])};")
    for contype, table, name, definition in constraints:
        if contype != "f":
            statements.append(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition};")
    # PostgreSQL prints an index's (and a trigger's) table with its schema whatever the search path; a partitioned
    # table's index is printed ON ONLY, which would leave its partitions without theirs.
    statements.extend(f"{_unqualified(definition, template)};" for _, definition in indexes)
    # Rows before foreign keys and triggers: the template's rows are already consistent, and an
    # append-only trigger must not see the copy as a write.
    for oid, name, kind, is_partition, *_ in relations:
        insertable = [_quote(column[0]) for column in columns.get(oid, []) if not column[4]]
        if is_partition or not insertable:
            continue
        listed = ", ".join(insertable)
        statements.append(f"INSERT INTO {_quote(name)} ({listed}) OVERRIDING SYSTEM VALUE "
                          f"SELECT {listed} FROM {_TEMPLATE_MARK}.{_quote(name)};")
    for row in sequences:
        statements.append(f"SELECT setval({_literal(_quote(row[0]))}, last_value, is_called) "
                          f"FROM {_TEMPLATE_MARK}.{_quote(row[0])};")
    for contype, table, name, definition in constraints:
        if contype == "f":
            statements.append(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition};")
    statements.extend(f"{_unqualified(definition, template)};" for _, definition in functions)
    statements.extend(f"{_unqualified(definition, template)};" for _, definition in triggers)
    for kind, target, privilege, grantee in grants:
        on = {"SCHEMA": "SCHEMA " + _SCHEMA_MARK, "TABLE": f"TABLE {_quote(target or '')}",
              "FUNCTION": f"FUNCTION {target}"}[kind]
        statements.append(f"GRANT {privilege} ON {on} TO {grantee};")
    script = "\n".join(statements)
    if template in script:
        raise SchemaCopyMismatch(f"the script read from {template} names it; it would write into the template")
    return script


def _column_definition(table: str, column: tuple, identity_sequences: dict) -> str:
    name, data_type, not_null, identity, generated, default, collation = column
    parts = [_quote(name), data_type]
    if collation:
        parts.append(f"COLLATE {_quote(collation)}")
    if identity:
        sequence = identity_sequences[(table, name)]
        kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
        parts.append(f"GENERATED {kind} AS IDENTITY (SEQUENCE NAME {_quote(sequence[0])} {_sequence_options(sequence, typed=False)})")
    elif generated:
        parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
    elif default is not None:
        parts.append(f"DEFAULT {default}")
    if not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def _sequence_options(row: tuple, *, typed: bool = True) -> str:
    _, data_type, start, increment, minimum, maximum, cache, cycle, *_ = row
    options = f"START WITH {start} INCREMENT BY {increment} MINVALUE {minimum} MAXVALUE {maximum} CACHE {cache}"
    options += " CYCLE" if cycle else " NO CYCLE"
    return f"AS {data_type} {options}" if typed else options


def _structure(cursor, schema: str) -> tuple:
    """Every name and definition the copy must share with the template, in one sorted tuple:
    columns (type, nullability, default, identity), constraints, indexes, sequences, triggers."""
    # Reached from the schema through indexed catalogue lookups only (its dependents in pg_depend,
    # then each relation's columns, indexes, constraints and triggers): a scan of pg_class by
    # namespace would grow with every enterprise on the cluster.
    rows = _in_schema(cursor, schema, """
        WITH owned AS (
            SELECT d.classid, d.objid FROM pg_depend d
             WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %(schema)s::regnamespace
        ), rel AS (
            SELECT c.* FROM owned o JOIN pg_class c ON c.oid = o.objid WHERE o.classid = 'pg_class'::regclass
        ), idx AS (
            SELECT i.oid, i.relname FROM rel JOIN pg_index x ON x.indrelid = rel.oid JOIN pg_class i ON i.oid = x.indexrelid
        )
        SELECT 'column', c.relname || '.' || a.attname,
               concat_ws(' ', format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
                         row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                         pg_get_expr(d.adbin, d.adrelid), a.attcollation)
          FROM rel c JOIN pg_attribute a ON a.attrelid = c.oid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'relation', c.relname, concat_ws(' ', c.relkind, c.relpersistence, pg_get_expr(c.relpartbound, c.oid),
                                                 c.relacl, c.reloptions)
          FROM rel c
        UNION ALL
        SELECT 'constraint', t.relname || '.' || c.conname, pg_get_constraintdef(c.oid)
          FROM rel t JOIN pg_constraint c ON c.conrelid = t.oid
        UNION ALL
        SELECT 'index', i.relname, pg_get_indexdef(i.oid) FROM idx i
        UNION ALL
        SELECT 'sequence', c.relname, concat_ws(' ', format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
                                                 s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
          FROM rel c JOIN pg_sequence s ON s.seqrelid = c.oid
        UNION ALL
        SELECT 'function', p.proname, pg_get_functiondef(p.oid) || coalesce(p.proacl::text, '')
          FROM owned o JOIN pg_proc p ON p.oid = o.objid WHERE o.classid = 'pg_proc'::regclass
        UNION ALL
        SELECT 'schema', '', coalesce(n.nspacl::text, '') FROM pg_namespace n WHERE n.oid = %(schema)s::regnamespace
        UNION ALL
        SELECT 'trigger', c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
          FROM rel c JOIN pg_trigger t ON t.tgrelid = c.oid WHERE NOT t.tgisinternal
        """, {"schema": _quote(schema)})
    structure = []
    for kind, name, definition in rows:
        if kind in ("index", "trigger", "function"):
            definition = _unqualified(definition, schema)
        if kind in ("constraint", "index"):
            definition = _without_casts(definition)
        structure.append((kind, name, definition))
    return tuple(sorted(structure))


def _unqualified(definition: str, schema: str) -> str:
    """An index, trigger or function definition without the schema PostgreSQL prints before its
    table or its own name."""
    for prefix in (" ON ", " ON ONLY ", " FUNCTION "):
        for qualifier in (f"{schema}.", f"{_quote(schema)}."):
            definition = definition.replace(prefix + qualifier, prefix)
    return definition


# PostgreSQL prints an expression it has read back with its casts placed differently (`(ARRAY['a'::
# character varying])::text[]` becomes `ARRAY[('a'::character varying)::text]`): definitions are
# compared without casts and parentheses, every name, column, operator and value still counts.
_CAST = re.compile(r"::(?:character varying|timestamp with time zone|timestamp without time zone|double precision"
                   r"|[a-z_][a-z0-9_]*)(?:\(\d+(?:,\d+)?\))?(?:\[\])?")


def _without_casts(definition: str) -> str:
    return " ".join(_CAST.sub("", definition).replace("(", "").replace(")", "").split())


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
