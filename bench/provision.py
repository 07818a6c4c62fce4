"""Seconds per enterprise provisioned, through tenants.services.provision_enterprise, among many.

Two paths are measured in one run, each as the median of `--runs` (50) provisions:
- spare: the normal path; a pool of ready schemas (kept full by a Celery task) is renamed from.
- pool empty: the fallback when a burst has drained the pool; the template is copied.
Both with `--existing` (1,000) enterprises already on the cluster, made through the product's own
path by bench/_many.py and kept between runs (the catalogue every schema adds is what slows a copy).
Beyond 1,000 (`--existing 10000`, issue 18) the others are bare enterprises (bench/_many.py: the
same path, a manager only), made on the first such run in one process per core (hours: each copy
grows with the catalogue); `--fillers` makes the missing ones as catalogue fillers instead, which
share the template's copy script but make its audit partitions plain tables (bench/_many.py).
Targets (issue 19): spare ≤ 0.05 s, pool empty ≤ 1 s.
Run: `make bench`, or `.venv/bin/python bench/provision.py [--existing 1000] [--runs 50]`.
"""
import argparse
import statistics
import time

import _many
import _setup
from django.db import connection

from tenants import services as tenant_services


def _drop_spares():
    with connection.cursor() as cursor:
        for spare in tenant_services._spare_schemas():
            cursor.execute(f'DROP SCHEMA "{spare}" CASCADE')


def _measure(prefix: str, runs: int) -> list[float]:
    durations = []
    for index in range(runs):
        started = time.perf_counter()
        tenant_services.provision_enterprise(actor=_setup.BENCH_SETUP, code=f"{prefix}-{index:02d}",
                                             **_fields(index))
        durations.append(time.perf_counter() - started)
    return durations


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", type=int, default=1000, help="scale enterprises on the cluster first")
    parser.add_argument("--runs", type=int, default=50, help="provisions measured per path")
    parser.add_argument("--fillers", action="store_true",
                        help="make missing enterprises beyond 1,000 as catalogue fillers (bench/_many.py)")
    arguments = parser.parse_args()
    runs = arguments.runs

    started = time.perf_counter()
    _many.ensure_enterprises(min(arguments.existing, _many.FULL))
    _many.ensure_bare_enterprises(max(arguments.existing - _many.FULL, 0), fillers=arguments.fillers)
    print(f"{arguments.existing} existing enterprises ready in {time.perf_counter() - started:.0f} s", flush=True)
    codes = [f"bench-{path}-{i:02d}" for path in ("spare", "empty") for i in range(runs)] + ["bench-warmup"]
    for code in codes:
        _setup.drop_enterprise(code)
    _drop_spares()
    try:
        # Warm-up: verifies the template and loads the migration graph once, as a worker does.
        tenant_services.provision_enterprise(actor=_setup.BENCH_SETUP, code="bench-warmup", **_fields(99))
        tenant_services.replenish_spare_schemas(target=runs)  # what the pool task keeps ready, not timed
        spare = _measure("bench-spare", runs)
        _drop_spares()
        empty = _measure("bench-empty", runs)
    finally:
        for code in codes:
            _setup.drop_enterprise(code)
        _drop_spares()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace")
        schemas = cursor.fetchone()[0]
    print(f"{schemas} schemas on the cluster during the run")
    print(f"pool empty: median={statistics.median(empty):.3f}s min={min(empty):.3f}s max={max(empty):.3f}s")
    print(f"spare: median={statistics.median(spare):.3f}s min={min(spare):.3f}s max={max(spare):.3f}s")
    print(f"provision_median={statistics.median(spare):.3f} s pool_empty_median={statistics.median(empty):.3f} s "
          f"existing={arguments.existing} runs={runs}")


def _fields(index: int) -> dict:
    return dict(
        name=f"Bench Enterprise {index}", location="Shenzhen", industry="Electronics", personnel_size="1-20",
        administrator_mobile=f"1371234{index:04d}", administrator_name="Bench Manager",
        administrator_password="Bench-Pass-2026!",
    )


if __name__ == "__main__":
    main()
