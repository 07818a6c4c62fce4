"""`manage.py audit_verify [--schema S]`: check the audit log of every enterprise (or of S).

Per schema it reports, and exits non-zero for any of them:
- the first broken link of the hash chain (an altered, removed or reordered entry, an entry
  repeating an id, an entry lying after the chain head);
- guard triggers of the audit tables that are missing or disabled, and a replaced guard function
  (the database would then let entries be changed or deleted);
- disagreements with the signed checkpoints kept in the public schema (audit.checkpoints): a
  chain rewritten together with its head, a head moved back, a forged checkpoint, entries removed
  before their retention period ended.
A named schema without an audit log is an error too. Each head hash is printed.
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
                guard_problems = partitions.trigger_problems()
                checkpoint_problems = selectors.checkpoint_problems()
            for problem in guard_problems:
                self.stdout.write(f"{name}: GUARD {problem}")
            for problem in checkpoint_problems:
                self.stdout.write(f"{name}: CHECKPOINT {problem}")
            if result.is_intact:
                self.stdout.write(f"{name}: intact, {result.entries_checked} entries, "
                                  f"head #{result.head_id} {result.head_hash}")
            else:
                self.stdout.write(f"{name}: BROKEN at entry #{result.broken_at}: {result.reason}")
            if guard_problems or checkpoint_problems or not result.is_intact:
                broken.append(name)
        if broken:
            raise CommandError(f"audit log not intact in {len(broken)} schema(s): {', '.join(broken)}")
        self.stdout.write(f"{len(available)} audit log(s) verified")
