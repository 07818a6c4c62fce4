"""Migrating every schema of the platform in seconds, however many enterprises there are.

django-tenants' `migrate_schemas` runs Django's whole `migrate` once per schema: it loads the
migration graph, renders the project state, asks the schema what it has applied and sends
post_migrate to every app, even when there is nothing to do (minutes for a thousand schemas).
Here the work is done once where it can be:

- Which schemas are behind, and by which migrations, is one query over every schema's
  django_migrations (`behind_schemas`), compared with the graph loaded once.
- The public schema (shared apps) is migrated first by Django's own command, then the template
  new enterprises are cloned from, then the spare schemas and the enterprises.
- Schemas missing the same migrations share one plan and one project state. The first of them
  (the template when it is among them) is migrated for real while the SQL its schema editor runs is
  recorded; every other schema replays that SQL with the django_migrations rows in one transaction.
  The SQL is valid in every enterprise schema because their constraint and index names are the
  template's (tenants.services aligns every clone). A migration that cannot be written as SQL
  (RunPython) is applied per schema with the shared state instead.
- A migration marked `atomic = False` (e.g. an index built CONCURRENTLY, which cannot run in a
  transaction) is replayed statement by statement; an INVALID index left behind by an interrupted
  concurrent build is dropped first, so the re-run builds it again instead of failing on its name.
- Schemas are migrated by a bounded pool of threads, each with its own connection. A failure rolls
  that schema's transaction back; no further schema is started and the failures are returned by
  schema name; a re-run migrates only the schemas still behind.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django.db.models.signals import post_migrate
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from tenants import routing_cache
from tenants.signals import tenant_schemas_migrated

MigrationKey = tuple[str, str]

# One query per this many schemas: each table read takes a lock until the statement ends, and
# PostgreSQL's lock table is sized for about 64 per connection (max_locks_per_transaction).
_SCHEMAS_PER_QUERY = 1_000
# Session advisory lock: one run at a time (two would apply the same migrations twice).
_ONE_RUN_AT_A_TIME = 7_305_002
_CREATES_INDEX = re.compile(r'^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([^"\s]+)"?',
                            re.IGNORECASE)


@dataclass(frozen=True)
class SchemaTarget:
    """A schema that carries the tenant apps: the template, a spare, or an enterprise's."""

    name: str
    enterprise: object | None = None  # the Enterprise whose schema it is (fields deferred)


class AnotherRunInProgress(Exception):
    """Another migrate_schemas holds the platform's migration lock."""


@dataclass
class MigrationOutcome:
    checked: int = 0
    behind: int = 0
    migrated: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    public_migrated: bool = False
    seconds: float = 0.0


def graph_loader() -> MigrationLoader:
    """The code's migration graph, read from disk once (no database)."""
    return MigrationLoader(None, ignore_no_migrations=True)


def _in_order(loader: MigrationLoader) -> list[MigrationKey]:
    """Every migration in the order `migrate` applies them (each after its dependencies)."""
    ordered, seen = [], set()
    for leaf in loader.graph.leaf_nodes():
        for key in loader.graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                ordered.append(key)
    return ordered


def tenant_schemas_in_order() -> tuple[SchemaTarget | None, list[SchemaTarget]]:
    """(the template if it exists, the spare schemas and enterprise schemas that exist)."""
    from tenants.models import Enterprise
    from tenants.services import SPARE_SCHEMA_PREFIX

    public = get_public_schema_name()
    enterprises = {enterprise.schema_name: enterprise
                   for enterprise in Enterprise.objects.exclude(schema_name=public).only("pk", "schema_name", "code")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s) OR nspname LIKE %s ORDER BY nspname",
                       [[settings.TENANT_TEMPLATE_SCHEMA, *enterprises],
                        SPARE_SCHEMA_PREFIX.replace("_", r"\_") + "%"])
        existing = [row[0] for row in cursor.fetchall()]
    template = SchemaTarget(settings.TENANT_TEMPLATE_SCHEMA) if settings.TENANT_TEMPLATE_SCHEMA in existing else None
    others = [SchemaTarget(name, enterprises.get(name)) for name in existing if name != settings.TENANT_TEMPLATE_SCHEMA]
    return template, others


def behind_schemas(schema_names: Iterable[str], expected: Iterable[MigrationKey]) -> dict[str, frozenset[MigrationKey]]:
    """Each of `schema_names` that lacks some of `expected`, with what it lacks.

    One query over all their django_migrations tables (per 1,000 schemas); a schema without that
    table lacks everything.
    """
    schema_names, expected = list(schema_names), list(expected)
    if not schema_names or not expected:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'django_migrations' AND c.relkind = 'r' AND n.nspname = ANY(%s)", [schema_names])
        with_table = {row[0] for row in cursor.fetchall()}
    behind = {name: frozenset(expected) for name in schema_names if name not in with_table}
    apps_expected, names_expected = [app for app, _ in expected], [name for _, name in expected]
    ordered = [name for name in schema_names if name in with_table]
    for start in range(0, len(ordered), _SCHEMAS_PER_QUERY):
        chunk = ordered[start:start + _SCHEMAS_PER_QUERY]
        applied = " UNION ALL ".join(
            f"SELECT %s::text AS schema_name, app, name FROM {connection.ops.quote_name(name)}.django_migrations"
            for name in chunk)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH expected(app, name) AS (SELECT * FROM unnest(%s::text[], %s::text[])),
                     applied AS ({applied})
                SELECT s.schema_name, e.app, e.name
                  FROM unnest(%s::text[]) AS s(schema_name) CROSS JOIN expected e
                 WHERE NOT EXISTS (SELECT 1 FROM applied a WHERE a.schema_name = s.schema_name
                                                             AND a.app = e.app AND a.name = e.name)
                """,
                [apps_expected, names_expected, *chunk, chunk],
            )
            missing: dict[str, set[MigrationKey]] = {}
            for schema_name, app, name in cursor.fetchall():
                missing.setdefault(schema_name, set()).add((app, name))
        behind.update({name: frozenset(keys) for name, keys in missing.items()})
    return behind


@dataclass
class _Step:
    """One migration of a shared plan: the state before it, and its SQL when it can be replayed."""

    key: MigrationKey
    migration: object
    state_before: ProjectState
    statements: list[str] | None = None

    @property
    def atomic(self) -> bool:
        return self.migration.atomic


@dataclass
class _Plan:
    """What every schema lacking the same migrations gets: the steps in order, recorded once."""

    steps: list[_Step]
    state_after: ProjectState
    recorded: bool = False
    # Rendered once, before the pool starts, and only read by the threads.
    apps_after: object = None

    @property
    def app_labels(self) -> set[str]:
        return {step.key[0] for step in self.steps}


def _plan_for(loader: MigrationLoader, ordered: list[MigrationKey], missing: frozenset[MigrationKey]) -> _Plan:
    state = ProjectState(real_apps=loader.unmigrated_apps)
    steps = []
    for key in ordered:
        migration = loader.graph.nodes[key]
        if key in missing:
            steps.append(_Step(key, migration, state.clone()))
        state = migration.mutate_state(state, preserve=False)
    return _Plan(steps, state)


def _recording_editor_class(base):
    class RecordingSchemaEditor(base):
        """Runs the schema changes and keeps each statement as sent, parameters merged in."""

        def execute(self, sql, params=()):
            statement = str(sql)
            if params is not None:
                statement = self.connection.ops.compose_sql(statement, params)
            self.recorded.append(statement)
            return super().execute(statement, None)

    return RecordingSchemaEditor


def _is_replayable(migration) -> bool:
    # Only operations that are nothing but SQL give the same result replayed in another schema.
    return all(operation.reduces_to_sql for operation in migration.operations)


def _use_schema(database, schema_name: str) -> None:
    database.set_schema(schema_name)


def _record(database, schema_name: str, keys: list[MigrationKey]) -> None:
    now = timezone.now()
    with database.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {database.ops.quote_name(schema_name)}.django_migrations (app, name, applied) "
            "VALUES (%s, %s, %s)", [(app, name, now) for app, name in keys])


def _ensure_migrations_table(database, schema_name: str) -> None:
    # Without include_public, the recorder would find public's django_migrations through the path.
    database.set_schema(schema_name, include_public=False)
    MigrationRecorder(database).ensure_schema()
    _use_schema(database, schema_name)


def _drop_invalid_indexes(database, schema_name: str, statements: list[str] | None) -> None:
    """Drop the INVALID indexes an interrupted CONCURRENTLY build left in the schema under the names
    `statements` build (all of them when the statements are not known: the migration runs Python).

    Such an index is never read and only slows writes; left in place, the rebuild would fail on its
    name, or skip it (IF NOT EXISTS) and leave the table without the index for good.
    """
    names = None if statements is None else [match.group(1) for match in map(_CREATES_INDEX.match, statements) if match]
    if names == []:
        return
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND NOT i.indisvalid AND (%s::text[] IS NULL OR c.relname = ANY(%s::text[]))",
            [schema_name, names, names])
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {database.ops.quote_name(schema_name)}."
                           f"{database.ops.quote_name(name)}")


def _segments(steps: list[_Step]) -> list[list[_Step]]:
    """Consecutive atomic steps together (one transaction); each non-atomic step alone."""
    segments: list[list[_Step]] = []
    for step in steps:
        if step.atomic and segments and segments[-1][0].atomic:
            segments[-1].append(step)
        else:
            segments.append([step])
    return segments


def _apply_for_real(database, step: _Step, *, record_sql: bool) -> None:
    editor_class = _recording_editor_class(database.SchemaEditorClass) if record_sql else database.SchemaEditorClass
    editor = editor_class(database, atomic=step.atomic)
    editor.recorded = []
    with editor:
        step.migration.apply(step.state_before.clone(), editor)
    if record_sql and _is_replayable(step.migration):
        step.statements = editor.recorded


def _migrate_schema(schema_name: str, plan: _Plan, *, has_table: bool) -> None:
    """Bring one schema through `plan`: replay recorded SQL, or apply (and record) the rest."""
    database = connections["default"]
    if not has_table:
        _ensure_migrations_table(database, schema_name)
    _use_schema(database, schema_name)
    recording = not plan.recorded
    for segment in _segments(plan.steps):
        if segment[0].atomic:
            with transaction.atomic(using=database.alias):
                for step in segment:
                    if step.statements is not None and not recording:
                        with database.cursor() as cursor:
                            for statement in step.statements:
                                cursor.execute(statement)
                    else:
                        _apply_for_real(database, step, record_sql=recording)
                _record(database, schema_name, [step.key for step in segment])
        else:
            (step,) = segment
            if step.statements is not None and not recording:
                _drop_invalid_indexes(database, schema_name, step.statements)
                with database.cursor() as cursor:
                    for statement in step.statements:
                        cursor.execute(statement)
            else:
                _drop_invalid_indexes(database, schema_name,
                                      _planned_statements(step) if _is_replayable(step.migration) else None)
                _apply_for_real(database, step, record_sql=recording)
            _record(database, schema_name, [step.key])
    plan.recorded = True


def _planned_statements(step: _Step) -> list[str]:
    """The SQL a migration would run (for the names of the indexes it builds), without running it."""
    database = connections["default"]
    with database.schema_editor(collect_sql=True, atomic=False) as editor:
        step.migration.apply(step.state_before.clone(), editor, collect_sql=True)
    return [statement for statement in editor.collected_sql if not statement.startswith("--")]


def _after_migrating(schema_name: str, plan: _Plan, *, verbosity: int) -> None:
    """What Django's migrate sends after migrating (post_migrate), to the apps that had migrations
    applied: their permissions, the consent catalogue (C7).

    pre_migrate is not sent: its one receiver (contenttypes' renames) acts only where content types
    live, the public schema, which Django's own migrate handles; rendering the state it expects
    would cost a second per plan.
    """
    database = connections["default"]
    _use_schema(database, schema_name)
    for app_config in global_apps.get_app_configs():
        if app_config.label in plan.app_labels and app_config.models_module is not None:
            post_migrate.send(sender=app_config, app_config=app_config, verbosity=verbosity, interactive=False,
                              using=database.alias, apps=plan.apps_after,
                              plan=[(step.migration, False) for step in plan.steps])


def _run_pool(work: list[tuple[SchemaTarget, _Plan, bool]], *, parallel: int, outcome: MigrationOutcome,
              verbosity: int, say: Callable[[str], None]) -> None:
    """Migrate each (schema, plan, has_table) on at most `parallel` connections; stop starting new
    ones after the first failure."""
    queue = list(reversed(work))
    lock = threading.Lock()
    stopped = threading.Event()

    def worker():
        try:
            while not stopped.is_set():
                with lock:
                    if not queue:
                        return
                    target, plan, has_table = queue.pop()
                try:
                    _migrate_schema(target.name, plan, has_table=has_table)
                    _after_migrating(target.name, plan, verbosity=verbosity)
                except Exception as error:  # reported by schema name; the others stop starting
                    stopped.set()
                    with lock:
                        outcome.failures[target.name] = f"{type(error).__name__}: {error}".strip()
                    continue
                finally:
                    connections["default"].set_schema_to_public()
                if target.enterprise is not None:
                    # Routing reads the enterprise's state again now that its schema has caught up.
                    routing_cache.forget_enterprise(target.enterprise)
                with lock:
                    outcome.migrated.append(target.name)
                if verbosity >= 2:
                    say(f"  {target.name}: {len(plan.steps)} migrations applied")
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=worker, name=f"migrate-{n}") for n in range(max(1, parallel))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def migrate_all_schemas(*, parallel: int = 4, verbosity: int = 1, say: Callable[[str], None] = print,
                        migrate_public: Callable[[], None]) -> MigrationOutcome:
    """Bring the public schema, the template, the spare schemas and every enterprise's schema up to
    the code's migrations; returns what was behind, what was migrated and what failed (by schema).

    `migrate_public()` migrates the public schema (Django's migrate, run only when it is behind).
    Stops starting schemas after the first failure, leaving the failed schema as it was (its
    transaction rolled back) and those not yet started behind, for a re-run. Refuses
    (AnotherRunInProgress) to start while another run holds the platform's migration lock.
    """
    started = time.perf_counter()
    connection.set_schema_to_public()
    # On a connection of its own: Django's migrate of the public schema closes the default one.
    lock_holder = connections.create_connection("default")
    try:
        with lock_holder.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_ONE_RUN_AT_A_TIME])
            if not cursor.fetchone()[0]:
                raise AnotherRunInProgress("another migrate_schemas is running; wait for it to finish")
        outcome = _migrate_all(parallel=parallel, verbosity=verbosity, say=say, migrate_public=migrate_public)
    finally:
        lock_holder.close()  # ends the session, and with it the lock
        connection.set_schema_to_public()
    outcome.seconds = time.perf_counter() - started
    return outcome


def _migrate_all(*, parallel: int, verbosity: int, say: Callable[[str], None],
                 migrate_public: Callable[[], None]) -> MigrationOutcome:
    outcome = MigrationOutcome()
    public = get_public_schema_name()
    loader = graph_loader()
    ordered = _in_order(loader)
    if behind_schemas([public], ordered):
        say("Migrating the public schema …")
        migrate_public()
        connection.set_schema_to_public()
        outcome.public_migrated = True
    template, others = tenant_schemas_in_order()
    targets = ([template] if template else []) + others
    behind = behind_schemas([target.name for target in targets], ordered)
    outcome.checked, outcome.behind = len(targets) + 1, len(behind)
    with connection.cursor() as cursor:
        cursor.execute("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE c.relname = 'django_migrations' AND n.nspname = ANY(%s)", [list(behind)])
        with_table = {row[0] for row in cursor.fetchall()}
    plans: dict[frozenset[MigrationKey], _Plan] = {}

    def plan_of(name: str) -> _Plan:
        missing = behind[name]
        if missing not in plans:
            plans[missing] = _plan_for(loader, ordered, missing)
        return plans[missing]

    if behind:
        say(f"{len(behind)} of {len(targets)} schemas are behind; migrating them on up to {parallel} connections …")
    # The template first (new enterprises are cloned from it); its recorded SQL serves the others.
    for phase in ([template] if template else [], others):
        work = [(target, plan_of(target.name), target.name in with_table) for target in phase if target.name in behind]
        if not work:
            continue
        # One schema of each plan is migrated for real (and its SQL recorded) before the rest replay it.
        first = list({id(plan): (target, plan, has_table)
                      for target, plan, has_table in work if not plan.recorded}.values())
        for plan in {id(plan): plan for _, plan, _ in work}.values():
            if plan.apps_after is None:
                plan.apps_after = plan.state_after.apps
        _run_pool(first, parallel=parallel, outcome=outcome, verbosity=verbosity, say=say)
        if not outcome.failures:
            started_first = {target.name for target, _, _ in first}
            rest = [item for item in work if item[0].name not in started_first]
            _run_pool(rest, parallel=parallel, outcome=outcome, verbosity=verbosity, say=say)
        if outcome.failures:
            return outcome
    tenant_schemas_migrated.send(sender=MigrationOutcome, schema_names=[target.name for target in targets])
    return outcome
