"""The data map read against the database: which tables a schema really has, and which of them
nothing classifies (privacy.registry, privacy.third_party_tables)."""
from __future__ import annotations

from django.db import connection

from privacy import registry


def tables_in_schema(schema: str) -> set[str]:
    """The ordinary and partitioned tables of `schema`, each partition folded into its root table
    (audit_entry_p2026_05 is audit_entry)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE roots(child, root) AS (
                SELECT c.oid, c.oid FROM pg_class c
                 WHERE NOT c.relispartition
                UNION ALL
                SELECT i.inhrelid, roots.root FROM pg_inherits i JOIN roots ON i.inhparent = roots.child
            )
            SELECT DISTINCT root_class.relname
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN roots ON roots.child = c.oid
              JOIN pg_class root_class ON root_class.oid = roots.root
             WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
            """,
            [schema],
        )
        return {name for (name,) in cursor.fetchall()}


def classified_tables() -> dict[str, registry.Declaration]:
    return {declaration.table: declaration for declaration in registry.table_declarations()}


def unclassified_tables(schema: str) -> list[str]:
    """The tables of `schema` the data map does not classify, by name: each must be declared
    (@personal_data on its model, or privacy.third_party_tables) before it can ship."""
    return sorted(tables_in_schema(schema) - set(classified_tables()))
