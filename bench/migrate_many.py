"""Seconds for `migrate_schemas` across 1,000 enterprise schemas (issue 18), two figures:

- no-op: nothing is behind; the whole command as an operator runs it (`manage.py migrate_schemas`,
  a process of its own, Django's start-up included). Target: ≤ 10 s.
- new migration: a throwaway migration adding a column and an index to the employee table is
  applied to every schema (the template, the spares and every enterprise's), in this process,
  then taken out again (not timed). Target: ≤ 60 s.

The enterprises are made through the product's provisioning (bench/_many.py, kept between runs:
the first run takes long). Run: `make bench ARGS=migrate_many`, or
`.venv/bin/python bench/migrate_many.py [--enterprises N] [--parallel P]` (defaults 1000 and 4).
"""
import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _many
import _setup
from django.core.management import call_command

from tenants.schema_migrations import behind_schemas, graph_loader, tenant_schemas_in_order
from tests.tenants import throwaway_migration as throwaway


def _schemas_behind() -> int:
    template, others = tenant_schemas_in_order()
    names = [target.name for target in ([template] if template else []) + others]
    return len(behind_schemas(names, graph_loader().graph.nodes))


def _noop_command_seconds(parallel: int) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(_setup.ROOT / "manage.py"), "migrate_schemas", "--parallel", str(parallel),
                    "-v", "0"], check=True, cwd=_setup.ROOT)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=4)
    options = parser.parse_args()

    _many.ensure_enterprises(options.enterprises)
    call_command("migrate_schemas", verbosity=0)  # whatever an earlier interrupted run left
    template, others = tenant_schemas_in_order()
    schemas = len(others) + (1 if template else 0)
    print(f"{schemas} tenant schemas ({options.enterprises} scale enterprises), parallel={options.parallel}")

    noop = min(_noop_command_seconds(options.parallel) for _ in range(3))
    print(f"no-op migrate_schemas, whole command (best of 3): {noop:.2f} s")

    with tempfile.TemporaryDirectory() as directory:
        try:
            with throwaway.throwaway_migration(Path(directory)):
                assert _schemas_behind() == schemas
                output = io.StringIO()
                started = time.perf_counter()
                call_command("migrate_schemas", parallel=options.parallel, verbosity=1, stdout=output)
                applied = time.perf_counter() - started
                print(output.getvalue().strip().splitlines()[-1])
                assert _schemas_behind() == 0
                started = time.perf_counter()
                call_command("migrate_schemas", verbosity=0)
                noop_in_process = time.perf_counter() - started
        finally:
            throwaway.remove_throwaway_migration()
    print(f"new migration (column + index) on {schemas} schemas: {applied:.2f} s; "
          f"no-op in process afterwards: {noop_in_process:.2f} s")
    print(f"migrate_noop_s={noop:.2f} migrate_new_column_index_s={applied:.2f} schemas={schemas}")


if __name__ == "__main__":
    main()
