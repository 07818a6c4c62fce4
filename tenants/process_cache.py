"""A per-process copy of facts that live in Redis, invalidated across processes by pub/sub.

Reading Redis on every request costs ~0.15 ms; routing and the consent gate both need their
facts on every request, so each process keeps a local copy. The copy is trusted only while this
process's subscriber is connected (otherwise every read goes to Redis), a generation counter stops
a read that raced an invalidation from storing a stale entry, and entries expire as a backstop.

A reader takes `generation` before it reads the shared store and hands it back to `put`; any
invalidation in between (local, or received from another process) changes it, and `put` then
stores nothing. `put`'s compare-and-store and `invalidate`'s bump-and-drop hold the same lock, so an
invalidation cannot slip between the comparison and the store. The shared store needs its own guard
against a reader that read before a writer committed (see consent.selectors).
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable, Iterable

from django.conf import settings

_client_by_pid: dict[int, object] = {}


def shared_redis():
    """This process's client of the cache Redis (a forked worker must not share its parent's sockets)."""
    client = _client_by_pid.get(os.getpid())
    if client is None:
        import redis

        client = redis.Redis.from_url(settings.CACHE_URL, socket_timeout=2)
        _client_by_pid.clear()
        _client_by_pid[os.getpid()] = client
    return client


class ProcessCache:
    """Entries keyed by anything hashable; invalidated by string tokens published on one channel.

    `keys_for(token, keys)` names the entries a token drops (default: the entry keyed by the token
    itself); the token "*" drops everything.
    """

    def __init__(self, name: str, *, ttl_seconds: float,
                 keys_for: Callable[[str, Iterable[Hashable]], Iterable[Hashable]] | None = None):
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.keys_for = keys_for or (lambda token, keys: [token])
        self.entries: dict[Hashable, tuple[float, object]] = {}
        self.generation = 0
        self.listening = threading.Event()
        self.pid = None
        self.lock = threading.Lock()
        # A lock held by another thread at fork() would stay held for ever in the child.
        os.register_at_fork(after_in_child=self._reset_lock)

    def _reset_lock(self) -> None:
        self.lock = threading.Lock()

    def channel(self) -> str:
        return f"{settings.CACHES['default']['KEY_PREFIX']}:{self.name}:invalidate"

    def start_listener(self) -> None:
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.generation += 1
            self.entries.clear()
            self.listening.clear()
        threading.Thread(target=self._listen, args=(shared_redis(),), daemon=True,
                         name=f"{self.name}-invalidation").start()

    def _listen(self, client) -> None:
        while True:
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=False)
                pubsub.subscribe(self.channel())
                for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        # A read that began before the feed was live may have missed a message.
                        self.invalidate("*")
                        self.listening.set()
                    elif message["type"] == "message":
                        self.invalidate(message["data"].decode())
            except Exception:  # a lost feed means the local copy can no longer be trusted
                self.listening.clear()
                self.invalidate("*")
                time.sleep(1)

    def invalidate(self, token: str) -> None:
        """Drop what `token` names in this process only."""
        with self.lock:
            self.generation += 1
            if token == "*":
                self.entries.clear()
                return
            for key in list(self.keys_for(token, list(self.entries))):
                self.entries.pop(key, None)

    def invalidate_everywhere(self, token: str) -> None:
        self.invalidate(token)
        shared_redis().publish(self.channel(), token)

    def get(self, key):
        if not self.listening.is_set():
            return None
        entry = self.entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key, value, generation_before_read: int) -> bool:
        """Store `value` unless something was invalidated since `generation_before_read` was taken."""
        with self.lock:
            if self.listening.is_set() and self.generation == generation_before_read:
                self.entries[key] = (time.monotonic() + self.ttl_seconds, value)
                return True
        return False
