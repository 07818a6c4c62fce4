"""migrate_schemas: the public schema, the template, the spare schemas and every enterprise's.

Without options it is tenants.schema_migrations: one query finds the schemas that are behind,
and only those are migrated, on `--parallel N` connections (default 4). It exits non-zero naming
each schema that failed; that schema is left as it was, and a re-run picks up where it stopped.

With any option that narrows or changes the work (`--schema`, an app and migration, `--shared`,
`--tenant`, `--fake`, `--plan`, `--check`, `--executor` …) it is django-tenants' own command,
which runs Django's `migrate` in each schema it names.
"""
from django.core.management.base import CommandError
from django_tenants.management.commands.migrate_schemas import GET_EXECUTOR_FUNCTION, MigrateSchemasCommand
from django_tenants.utils import get_public_schema_name

from tenants.schema_migrations import AnotherRunInProgress, migrate_all_schemas

DEFAULT_PARALLEL = 4
_NARROWING_OPTIONS = ("app_label", "migration_name", "schema_name", "shared", "tenant", "fake", "fake_initial",
                      "plan", "prune", "check_unapplied", "run_syncdb", "executor")


class Command(MigrateSchemasCommand):
    help = ("Migrate the public schema, the template, the spare schemas and every enterprise schema that is "
            "behind, on --parallel N connections.")

    def handle(self, *args, **options):
        if any(options.get(option) for option in _NARROWING_OPTIONS):
            return super().handle(*args, **options)
        if options.get("database") not in (None, "default"):
            raise CommandError("only the default database holds enterprise schemas")
        parallel = options.get("parallel") or DEFAULT_PARALLEL
        if parallel < 1:
            raise CommandError("--parallel must be at least 1")
        verbosity = int(options.get("verbosity", 1))

        def say(line: str) -> None:
            if verbosity >= 1:
                self.stdout.write(line)

        def migrate_public() -> None:
            public_options = {**options, "schema_name": get_public_schema_name()}
            GET_EXECUTOR_FUNCTION(codename="standard")(args, public_options).run_migrations(
                tenants=[get_public_schema_name()])

        try:
            outcome = migrate_all_schemas(parallel=parallel, verbosity=verbosity, say=say,
                                          migrate_public=migrate_public)
        except AnotherRunInProgress as refused:
            raise CommandError(str(refused)) from refused
        if outcome.failures:
            named = "; ".join(f"{schema}: {error}" for schema, error in sorted(outcome.failures.items()))
            raise CommandError(f"{len(outcome.failures)} schema(s) failed and were left as they were ({named}). "
                               f"{len(outcome.migrated)} migrated; run migrate_schemas again to finish the rest.")
        if not outcome.behind and not outcome.public_migrated:
            say(f"All {outcome.checked} schemas are up to date ({outcome.seconds:.1f} s).")
            return
        say(f"{len(outcome.migrated)} of {outcome.behind} schemas that were behind migrated"
            f"{' after the public schema' if outcome.public_migrated else ''} in {outcome.seconds:.1f} s.")
