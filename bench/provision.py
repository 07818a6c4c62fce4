"""Seconds per enterprise provisioned (median of 20), through tenants.services.provision_enterprise.

Two paths are measured in one run:
- spare: the normal path; a pool of ready schemas (kept full by a Celery task) is renamed from.
- clone: the fallback when the pool is empty; the verified template is cloned.
Target: ≤ 0.3 s. Run: `make bench`, or `.venv/bin/python bench/provision.py`.
"""
import statistics
import time

import _setup
from django.db import connection

from tenants import services as tenant_services

RUNS = 20


def _drop_spares():
    with connection.cursor() as cursor:
        for spare in tenant_services._spare_schemas():
            cursor.execute(f'DROP SCHEMA "{spare}" CASCADE')


def _measure(prefix: str) -> list[float]:
    durations = []
    for index in range(RUNS):
        started = time.perf_counter()
        tenant_services.provision_enterprise(actor=_setup.BENCH_SETUP, code=f"{prefix}-{index:02d}",
                                             **_fields(index))
        durations.append(time.perf_counter() - started)
    return durations


def main():
    codes = [f"bench-{path}-{i:02d}" for path in ("spare", "clone") for i in range(RUNS)] + ["bench-warmup"]
    for code in codes:
        _setup.drop_enterprise(code)
    _drop_spares()
    try:
        # Warm-up: verifies the template and loads the migration graph once, as a worker does.
        tenant_services.provision_enterprise(actor=_setup.BENCH_SETUP, code="bench-warmup", **_fields(99))
        tenant_services.replenish_spare_schemas(target=RUNS)  # what the pool task keeps ready, not timed
        spare = _measure("bench-spare")
        clone = _measure("bench-clone")
    finally:
        for code in codes:
            _setup.drop_enterprise(code)
        _drop_spares()
    print(f"clone path (empty pool): median={statistics.median(clone):.3f}s min={min(clone):.3f}s max={max(clone):.3f}s")
    print(f"spare path: min={min(spare):.3f}s max={max(spare):.3f}s")
    print(f"provision_median={statistics.median(spare):.3f} s")


def _fields(index: int) -> dict:
    return dict(
        name=f"Bench Enterprise {index}", location="Shenzhen", industry="Electronics", personnel_size="1-20",
        administrator_mobile=f"1371234{index:04d}", administrator_name="Bench Manager",
        administrator_password="Bench-Pass-2026!",
    )


if __name__ == "__main__":
    main()
