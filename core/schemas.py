"""Which enterprise schemas exist: the one way every app enumerates them.

Enterprises are rows of django-tenants' tenant model (settings.TENANT_MODEL, `tenants.Enterprise`)
in the public schema. Reaching it through `get_tenant_model()` keeps core free of imports of our
apps; which enterprises get periodic work is the model's own rule
(`EnterpriseQuerySet.ready_for_periodic_work`).
"""
from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context


def enterprise_schema_names(*, ready_for_periodic_work: bool = False, include_template: bool = False) -> list[str]:
    """Names of the enterprise schemas that exist in the database, sorted.

    `ready_for_periodic_work`: only enterprises whose periodic work may run (not being provisioned,
    cancelled or being cancelled). `include_template`: also the template schema new enterprises are
    cloned from (work that must reach future enterprises too, e.g. the consent catalogue).
    """
    public = get_public_schema_name()
    with schema_context(public):
        enterprises = get_tenant_model().objects.exclude(schema_name=public)
        if ready_for_periodic_work:
            enterprises = enterprises.ready_for_periodic_work()
        names = list(enterprises.values_list("schema_name", flat=True))
        template = getattr(settings, "TENANT_TEMPLATE_SCHEMA", None)
        if include_template and template and template not in names:
            names.append(template)
        with connection.cursor() as cursor:
            cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [names])
            existing = {row[0] for row in cursor.fetchall()}
    return sorted(name for name in names if name in existing)


def is_ready_for_periodic_work(schema_name: str) -> bool:
    """Whether the enterprise owning `schema_name` may run periodic work now (read at call time).

    Read through the current search_path: an enterprise's search_path ends in public, where the
    tenant model lives, so no schema switch is needed.
    """
    return get_tenant_model().objects.ready_for_periodic_work().filter(schema_name=schema_name).exists()


def is_being_cancelled(schema_name: str) -> bool:
    """Whether the enterprise owning `schema_name` is being cancelled now (read at call time)."""
    return get_tenant_model().objects.being_cancelled().filter(schema_name=schema_name).exists()


# --- whether a schema carries the migrations this code expects (issue 18) ----------------------------
# During a deploy, processes running different code versions share the routing cache, so what is
# cached is what a schema HAS (per app, its latest applied migration) and each process compares
# that with what its own code expects. A schema ahead of the code (the new migrations of a rolling
# deploy are backward compatible) is served; one behind it is not, its tables are not what this
# code reads and writes.

_expected_latest: dict[str, str] | None = None


def expected_latest_migrations() -> dict[str, str]:
    """Per app whose tables live in enterprise schemas, the latest migration this code has.

    Computed once per process: it changes only with the code. Within an app, a migration's name
    sorts after those it depends on (tests/architecture/test_migrations.py checks it), so "latest"
    is the greatest name and a schema whose greatest name is at least this one carries it.
    """
    global _expected_latest
    if _expected_latest is None:
        from django.apps import apps
        from django.db.migrations.loader import MigrationLoader

        enterprise_apps = {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}
        latest: dict[str, str] = {}
        for app, name in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes():
            if app in enterprise_apps:
                latest[app] = max(name, latest.get(app, ""))
        _expected_latest = latest
    return _expected_latest


def latest_applied_migrations(schema_name: str) -> dict[str, str]:
    """Per app, the greatest migration name recorded in `schema_name` (one query, a small table)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app, max(name) FROM {connection.ops.quote_name(schema_name)}.django_migrations GROUP BY app")
        return dict(cursor.fetchall())


def is_behind_the_code(latest_applied: dict[str, str]) -> bool:
    """Whether a schema with these latest migrations (latest_applied_migrations) lacks one this
    process's code expects: its enterprise must be neither served nor worked on until it is migrated."""
    # On every routed request: a plain loop over a tuple (a generator costs twice as much).
    for app, name in _expected_items or _load_expected_items():
        if latest_applied.get(app, "") < name:
            return True
    return False


_expected_items: tuple[tuple[str, str], ...] = ()


def _load_expected_items() -> tuple[tuple[str, str], ...]:
    global _expected_items
    _expected_items = tuple(expected_latest_migrations().items())
    return _expected_items


def schema_has_table(table: str, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the connection's current schema has `table` (one index lookup in pg_class).

    Django's introspection (`connection.introspection.table_names()`) answers the same question by
    testing every relation in the database for visibility: with thousands of enterprise schemas
    that is seconds per call, paid once per schema by anything that loops over them.
    """
    database = connections[using]
    with database.cursor() as cursor:
        # By qualified name (one catalogue-cache lookup): a join on the table's name alone would
        # visit that table in every enterprise schema.
        cursor.execute("SELECT to_regclass(format('%%I.%%I', %s, %s)) IS NOT NULL", [database.schema_name, table])
        return cursor.fetchone()[0]


def schemas_having_table(table: str, schema_names: list[str]) -> set[str]:
    """Which of `schema_names` have `table`, in one query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                       " WHERE c.relname = %s AND n.nspname = ANY(%s)", [table, schema_names])
        return {row[0] for row in cursor.fetchall()}
