"""Host → enterprise routing facts, cached across processes in Redis.

Only what routing needs is cached. Every write that changes those facts (status, domains) goes
through tenants.services or the model signals, which forget the entry, so a suspended or
cancelled enterprise is refused on the very next request in every process.

Reading Redis on every request cost ~0.15 ms (most of the routing budget), so each process
also keeps a local copy, invalidated by a Redis pub/sub message that every `forget_*` publishes.
The local copy is used only while this process's subscriber is connected (otherwise every
request reads Redis), a generation counter stops a lookup racing an invalidation from storing a
stale entry, and entries expire after a minute as a backstop.
"""
from __future__ import annotations

import json
import os
import threading
import time

from django.conf import settings

_MISSING_HOST = "__none__"
_TTL_SECONDS = 300
_LOCAL_TTL_SECONDS = 60
_client_by_pid: dict[int, object] = {}


class _LocalRoutes:
    """This process's copy of routing facts, valid only while its invalidation feed is live."""

    def __init__(self):
        self.entries: dict[str, tuple[float, object]] = {}
        self.generation = 0
        self.listening = threading.Event()
        self.pid = None
        self.lock = threading.Lock()

    def start_listener(self, client) -> None:
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.entries.clear()
            self.listening.clear()
        threading.Thread(target=self._listen, args=(client,), daemon=True, name="tenant-route-invalidation").start()

    def _listen(self, client) -> None:
        while True:
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=False)
                pubsub.subscribe(_channel())
                for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        self.listening.set()
                    elif message["type"] == "message":
                        self.invalidate(message["data"].decode())
            except Exception:  # a lost feed means the local copy can no longer be trusted
                self.listening.clear()
                self.invalidate("*")
                time.sleep(1)

    def invalidate(self, host: str) -> None:
        self.generation += 1
        if host == "*":
            self.entries.clear()
        else:
            self.entries.pop(host, None)

    def get(self, host: str):
        if not self.listening.is_set():
            return None
        entry = self.entries.get(host)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, host: str, facts, generation_before_read: int) -> None:
        if self.listening.is_set() and self.generation == generation_before_read:
            self.entries[host] = (time.monotonic() + _LOCAL_TTL_SECONDS, facts)


_local = _LocalRoutes()


def _channel() -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:tenant-route:invalidate"


def _key(host: str) -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:tenant-route:v1:{host}"


def _redis():
    client = _client_by_pid.get(os.getpid())  # a forked worker must not share its parent's sockets
    if client is None:
        import redis

        client = redis.Redis.from_url(settings.CACHE_URL, socket_timeout=2)
        _client_by_pid.clear()
        _client_by_pid[os.getpid()] = client
    return client


def _get(key: str):
    raw = _redis().get(key)
    return None if raw is None else json.loads(raw)


def _set(key: str, value) -> None:
    _redis().set(key, json.dumps(value), ex=_TTL_SECONDS)


def _delete(*keys: str) -> None:
    if keys:
        _redis().delete(*keys)


def lookup(host: str, load):
    """Return the cached routing facts for `host`, loading them with `load(host)` on a miss."""
    _local.start_listener(_redis())
    facts = _local.get(host)
    if facts is None:
        generation = _local.generation
        facts = _get(_key(host))
        if facts is None:
            facts = load(host) or _MISSING_HOST
            _set(_key(host), facts)
        _local.put(host, facts, generation)
    return None if facts == _MISSING_HOST else facts


def _forget(hosts: list[str]) -> None:
    _delete(*[_key(host) for host in hosts])
    for host in hosts:
        _local.invalidate(host)
        _redis().publish(_channel(), host)


def forget_host(host: str) -> None:
    _forget([host])


def forget_enterprise(enterprise) -> None:
    from tenants.models import Domain

    _forget(list(Domain.objects.filter(tenant_id=enterprise.pk).values_list("domain", flat=True)))
