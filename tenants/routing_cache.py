"""Host → enterprise routing facts, cached across processes in Redis.

Only what routing needs is cached. Every write that changes those facts (status, domains) goes
through tenants.services or the model signals, which forget the entry, so a suspended or
cancelled enterprise is refused on the very next request in every process.

A reader that misses Redis loads the facts from the database and stores them. A suspension may
commit and forget the entry in between; storing then would serve the enterprise again for the
entry's lifetime. So every forget also bumps a generation counter per host in Redis, the reader
fetches the counter in the same round trip as the entry, and stores only if it is unchanged (one
Lua compare-and-set, as consent.state_cache does for consent state).

Reading Redis on every request cost ~0.15 ms (most of the routing budget), so each process
also keeps a local copy (core.process_cache), invalidated by a Redis pub/sub message that
every `forget_*` publishes.

An entry written by a process of an earlier code version (during a deploy) lacks what this
version's routing needs (the schema's migrations, issue 18): it counts as a miss, and the facts
loaded instead replace it for every version (each ignores what it does not know).

While Redis is unreachable, routing reads the database on every request (process_cache's
breaker stops each request from waiting for Redis), and comes back to the cache once it answers.
"""
from __future__ import annotations

import json

from django.conf import settings

from core.process_cache import STORE_UNLESS_FORGOTTEN, ProcessCache, redis_breaker, shared_redis

_MISSING_HOST = "__none__"
_TTL_SECONDS = 300
_LOCAL_TTL_SECONDS = 60
# A generation only has to outlive the reads that began before its bump.
_GENERATION_SECONDS = 86_400

_local = ProcessCache("tenant-route", ttl_seconds=_LOCAL_TTL_SECONDS,
                      max_entries=lambda: settings.TENANT_ROUTING_LOCAL_HOSTS)
_scripts: dict[int, object] = {}


def _key(host: str) -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:tenant-route:v1:{host}"


def _generation_key(host: str) -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:tenant-route-generation:v1:{host}"


def _read(host: str) -> tuple[object, str]:
    """(cached facts or None, generation as read: "" when there is none), in one round trip."""
    raw, generation = shared_redis().mget([_key(host), _generation_key(host)])
    return (None if raw is None else json.loads(raw)), (generation or b"").decode()


def _store_unless_forgotten(host: str, facts, generation_read: str) -> bool:
    client = shared_redis()
    store = _scripts.get(id(client))
    if store is None:
        _scripts.clear()
        store = _scripts[id(client)] = client.register_script(STORE_UNLESS_FORGOTTEN)
    return bool(store(keys=[_key(host), _generation_key(host)], args=[generation_read, json.dumps(facts), _TTL_SECONDS]))


def lookup(host: str, load):
    """Return the cached routing facts for `host`, loading them with `load(host)` on a miss."""
    _local.start_listener()
    facts = _local.get(host)
    if facts is None:
        local_generation = _local.generation
        facts, generation = redis_breaker.call(lambda: _read(host), on_failure=(None, None))
        if facts is None or (facts != _MISSING_HOST and "migrations" not in facts):
            facts = load(host) or _MISSING_HOST
            if generation is not None:  # Redis answered: share what was loaded, unless forgotten since
                redis_breaker.call(lambda: _store_unless_forgotten(host, facts, generation))
        _local.put(host, _sharing_migrations(facts), local_generation)
    return None if facts == _MISSING_HOST else facts


# Hosts whose schemas are migrated alike have equal migrations: the process copy keeps one dict
# for all of them, not one per host (10,000 hosts: 36 MiB a process otherwise; bench/scale_routing.py).
_SHARED_MIGRATIONS_MAX = 64
_shared_migrations: dict[tuple, dict] = {}


def _sharing_migrations(facts):
    if not isinstance(facts, dict) or not isinstance(facts.get("migrations"), dict):
        return facts
    key = tuple(sorted(facts["migrations"].items()))
    shared = _shared_migrations.get(key)
    if shared is None:
        if len(_shared_migrations) >= _SHARED_MIGRATIONS_MAX:  # many versions at once: start again
            _shared_migrations.clear()
        shared = _shared_migrations.setdefault(key, facts["migrations"])
    return {**facts, "migrations": shared}


def _forget_in_redis(hosts: list[str]) -> None:
    pipeline = shared_redis().pipeline(transaction=True)
    for host in hosts:
        # The counter with the delete, atomically: a reader that loaded before this stores nothing.
        pipeline.incr(_generation_key(host))
        pipeline.expire(_generation_key(host), _GENERATION_SECONDS)
        pipeline.delete(_key(host))
    pipeline.execute()


def _forget(hosts: list[str]) -> None:
    if not hosts:
        return
    redis_breaker.invalidate(lambda: _forget_in_redis(hosts))
    for host in hosts:
        _local.invalidate_everywhere(host)


def forget_host(host: str) -> None:
    _forget([host])


def forget_enterprise(enterprise) -> None:
    from tenants.models import Domain

    _forget(list(Domain.objects.filter(tenant_id=enterprise.pk).values_list("domain", flat=True)))
