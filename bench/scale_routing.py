"""Routing, the periodic fan-out and the per-schema table check with 10,000 enterprises (issue 18).

The enterprises here are NOT provisioned (10,000 through provisioning would take hours): they are
bulk-inserted `tenants.Enterprise` rows (active, basic details complete), one `Domain` each, and
an empty schema each holding one small table (`core.schemas.enterprise_schema_names` keeps only
names found in pg_namespace; the table makes the catalogue grow with the schemas, as real ones do,
far less than real ones). All carry the code prefix `scaleroute-` and are dropped at the end (and
at the start, after an interrupted run).

Prints, for 100, 1,000 and 10,000 enterprises:
- the beat fan-out: `tenants.tasks.run_for_ready_enterprises` run in this process (its messages go
  to a queue of this script's own, deleted afterwards); beyond `FAN_OUT_CHUNK` enterprises it hands
  chunks to `send_to_enterprises` tasks, one of which is also run here: beat's own task, and the
  worker time of the whole fan-out (beat's task and every chunk); `enterprise_schema_names` alone;
- "does this schema have table T?" the way Django's introspection answers it (a scan of every
  relation in the database) and the way the consent catalogue sync now does (one index lookup).
Then, at 10,000 hosts: routing lookups (`tenants.routing_cache.lookup` with the router's own
loader) cold (neither Redis nor the process has the host: one database read), Redis-warm (the
process copy was dropped) and process-warm, as median and p95 in microseconds; the memory the
process copy takes for 10,000 hosts (tracemalloc, and the RSS growth); and what the bound
(settings.TENANT_ROUTING_LOCAL_HOSTS) keeps when it is below the number of hosts.

The last line is the fan-out for 10,000 enterprises: beat's task and the worker time in all
(`scale_routing_fan_out_10000: beat=<s> s workers=<s> s`).

    .venv/bin/python bench/scale_routing.py
"""
import os
import statistics
import time
import tracemalloc
import uuid

# This run's periodic messages go to a queue nobody consumes; it is deleted at the end.
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"bench-fanout-{uuid.uuid4().hex[:8]}"

import _setup  # noqa: E402,F401
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from core.schemas import enterprise_schema_names, expected_latest_migrations, schema_has_table  # noqa: E402
from tenants import routing_cache  # noqa: E402
from tenants.models import Domain, Enterprise  # noqa: E402
from tenants.routing import _load_facts  # noqa: E402
from tenants.services import enterprise_host  # noqa: E402
from tenants.tasks import FAN_OUT_CHUNK, run_for_ready_enterprises, send_to_enterprises  # noqa: E402

PREFIX = "scaleroute"
SIZES = (100, 1_000, 10_000)
CHUNK = 100  # schemas created or dropped per statement (each takes several locks until it commits)
TABLE = "consent_purpose"
PERIODIC_TASK = "audit.tasks.record_chain_checkpoint"


def _code(index: int) -> str:
    return f"{PREFIX}-{index:05d}"


def _schema(index: int) -> str:
    return f"{PREFIX}_{index:05d}"


def _add(start: int, stop: int) -> None:
    # Each schema also records the latest migration of every app, as a migrated one does: routing
    # reads them to refuse an enterprise whose schema is behind the code (503 "upgrading").
    applied = ", ".join(f"('{app}', '{name}', now())" for app, name in expected_latest_migrations().items())
    for low in range(start, stop, CHUNK):
        indexes = range(low, min(low + CHUNK, stop))
        with connection.cursor() as cursor:
            cursor.execute("".join(
                f'CREATE SCHEMA "{_schema(i)}"; CREATE TABLE "{_schema(i)}".{TABLE} (id serial PRIMARY KEY, code text);'
                f'CREATE TABLE "{_schema(i)}".django_migrations (id serial PRIMARY KEY, app varchar(255) NOT NULL,'
                f' name varchar(255) NOT NULL, applied timestamptz NOT NULL);'
                f'INSERT INTO "{_schema(i)}".django_migrations (app, name, applied) VALUES {applied};'
                for i in indexes))
        enterprises = Enterprise.objects.bulk_create([
            Enterprise(schema_name=_schema(i), code=_code(i), name=f"规模路由{i:05d}", name_key=f"scaleroute{i:05d}",
                       location="Shenzhen", industry="Electronics", personnel_size="1-20",
                       status=Enterprise.Status.ACTIVE) for i in indexes])
        Domain.objects.bulk_create([Domain(domain=enterprise_host(e.code), tenant=e, is_primary=True)
                                    for e in enterprises])


def _drop() -> None:
    connection.set_schema_to_public()
    Domain.objects.filter(tenant__code__startswith=f"{PREFIX}-").delete()
    Enterprise.objects.filter(code__startswith=f"{PREFIX}-").delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"{PREFIX}\\_%"])
        schemas = [row[0] for row in cursor.fetchall()]
        for low in range(0, len(schemas), CHUNK):
            cursor.execute("".join(f'DROP SCHEMA "{name}" CASCADE;' for name in schemas[low:low + CHUNK]))


def _seconds(operation, repeat: int = 3) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        operation()
        timings.append(time.perf_counter() - started)
    return min(timings)


def _has_table_by_introspection(schema: str) -> bool:
    connection.set_schema(schema)
    try:
        return TABLE in connection.introspection.table_names()
    finally:
        connection.set_schema_to_public()


def _has_table_by_lookup(schema: str) -> bool:
    connection.set_schema(schema)
    try:
        return schema_has_table(TABLE)
    finally:
        connection.set_schema_to_public()


def _fan_out_and_table_check(count: int) -> tuple[float, float]:
    connection.set_schema_to_public()
    repeat = 1 if count >= 10_000 else 3
    beat = _seconds(lambda: run_for_ready_enterprises.apply(args=(PERIODIC_TASK,)).get(), repeat=repeat)
    ready = enterprise_schema_names(ready_for_periodic_work=True)
    chunks = [ready[start:start + FAN_OUT_CHUNK] for start in range(0, len(ready), FAN_OUT_CHUNK)]
    # Above one chunk, beat's task only hands the chunks out; the workers send the rest.
    chunk = (_seconds(lambda: send_to_enterprises.apply(args=(PERIODIC_TASK, chunks[0])).get(), repeat=repeat)
             if len(chunks) > 1 else 0.0)
    workers = beat + chunk * len(chunks)
    names = _seconds(lambda: enterprise_schema_names(ready_for_periodic_work=True))
    sample = _schema(count // 2)
    introspection = _seconds(lambda: _has_table_by_introspection(sample), repeat=5)
    lookup = _seconds(lambda: _has_table_by_lookup(sample), repeat=5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
    split = (f"; split into {len(chunks)} chunks of {FAN_OUT_CHUNK}, {chunk:.2f} s each: {workers:.2f} s of "
             f"worker time, spread over the workers" if len(chunks) > 1 else "")
    print(f"{count:>6} enterprises: fan-out: beat's task {beat:.2f} s{split} ({workers / count * 1e6:.0f} µs an "
          f"enterprise); enterprise_schema_names {names * 1000:.1f} ms; has-table check in one schema "
          f"({relations} relations in the database): introspection {introspection * 1000:.2f} ms, "
          f"index lookup {lookup * 1000:.3f} ms")
    return beat, workers


def _lookups(hosts: list[str]) -> list[float]:
    timings = []
    for host in hosts:
        started = time.perf_counter()
        facts = routing_cache.lookup(host, _load_facts)
        timings.append((time.perf_counter() - started) * 1e6)
        assert facts is not None and facts["status"] == Enterprise.Status.ACTIVE
    return timings


def _describe(name: str, timings: list[float]) -> None:
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(f"  {name:<12} median {statistics.median(timings):7.1f} µs, p95 {p95:7.1f} µs ({len(timings)} lookups)")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _routing(count: int) -> None:
    hosts = [enterprise_host(_code(i)) for i in range(count)]
    local = routing_cache._local
    local.start_listener()
    if not local.listening.wait(10):
        raise RuntimeError("the routing cache's invalidation feed did not connect")
    routing_cache._forget(hosts)  # nothing of an earlier run in Redis
    print(f"routing at {count} hosts (local bound {settings.TENANT_ROUTING_LOCAL_HOSTS}):")
    _describe("cold", _lookups(hosts))
    local.invalidate("*")
    _describe("redis-warm", _lookups(hosts))
    _describe("process-warm", _lookups(hosts))

    local.invalidate("*")
    rss_before = _rss_bytes()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    _lookups(hosts)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"  process copy: {len(local.entries)} hosts, {held / 2 ** 20:.1f} MiB traced "
          f"({held / len(local.entries):.0f} B per host), RSS +{(_rss_bytes() - rss_before) / 2 ** 20:.1f} MiB")

    bound, configured = count // 10, settings.TENANT_ROUTING_LOCAL_HOSTS
    settings.TENANT_ROUTING_LOCAL_HOSTS = bound
    try:
        local.invalidate("*")
        _lookups(hosts)
        print(f"  with TENANT_ROUTING_LOCAL_HOSTS = {bound}: {len(local.entries)} hosts kept after {count} looked up")
    finally:
        settings.TENANT_ROUTING_LOCAL_HOSTS = configured
    routing_cache._forget(hosts)


def main() -> None:
    _drop()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    made = 0
    beat = workers = 0.0
    try:
        for size in SIZES:
            _add(made, size)
            made = size
            beat, workers = _fan_out_and_table_check(size)
            _delete_queue(queue)
        _routing(SIZES[-1])
    finally:
        _delete_queue(queue)
        _drop()
    print(f"scale_routing_fan_out_10000: beat={beat:.2f} s workers={workers:.2f} s")


def _delete_queue(queue: str) -> None:
    """Through Celery's own Redis client (redis-py cannot read the embedded broker's redis+socket:// URL)."""
    from celery import current_app

    with current_app.connection_for_write() as broker:
        broker.default_channel.client.delete(queue)


if __name__ == "__main__":
    main()
