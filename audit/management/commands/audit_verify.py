"""`manage.py audit_verify [--schema S]`: walk the audit hash chain(s), report the first broken link.

Exits non-zero when a chain is broken, when a partition of the audit log lacks the append-only
triggers (created by hand?), or when a named schema has no audit log. Prints each chain's
head hash: kept somewhere else (a ticket, a printout), it lets a later run prove that nobody with
database-owner rights rewrote the whole chain.
"""
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from audit import partitions, selectors


class Command(BaseCommand):
    help = "Verify the tamper-evident audit log of every enterprise (or of --schema)."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="only this enterprise schema")

    def handle(self, *args, schema=None, **options):
        available = selectors.schemas_with_audit_log()
        if schema is not None:
            if schema not in available:
                raise CommandError(f"{schema}: no enterprise audit log in this schema")
            available = [schema]
        broken = []
        for name in available:
            with schema_context(name):
                result = selectors.verify_audit_chain()
                unguarded = partitions.unguarded_audit_partitions()
            if unguarded:
                broken.append(name)
                self.stdout.write(f"{name}: UNGUARDED partition(s) without the append-only triggers: "
                                  f"{', '.join(unguarded)}")
            if result.is_intact:
                self.stdout.write(f"{name}: intact, {result.entries_checked} entries, "
                                  f"head #{result.head_id} {result.head_hash}")
            else:
                if name not in broken:
                    broken.append(name)
                self.stdout.write(f"{name}: BROKEN at entry #{result.broken_at}: {result.reason}")
        if broken:
            raise CommandError(f"audit chain broken in {len(broken)} schema(s): {', '.join(broken)}")
        self.stdout.write(f"{len(available)} audit chain(s) verified")
