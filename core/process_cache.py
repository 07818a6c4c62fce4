"""A per-process copy of facts that live in Redis, invalidated across processes by pub/sub.

Reading Redis on every request costs ~0.15 ms; routing and the consent gate both need their
facts on every request, so each process keeps a local copy. The copy is trusted only while this
process's subscriber is connected (otherwise every read goes to Redis), a generation counter stops
a read that raced an invalidation from storing a stale entry, and entries expire as a backstop.

The copy is not used either while Redis is unreachable or an invalidation has not reached it
(redis_breaker): the database answers then.

A reader takes `generation` before it reads the shared store and hands it back to `put`; any
invalidation in between (local, or received from another process) changes it, and `put` then
stores nothing. `put`'s compare-and-store and `invalidate`'s bump-and-drop hold the same lock, so an
invalidation cannot slip between the comparison and the store. The shared store needs its own guard
against a reader that read before a writer committed (see consent.state_cache).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable

from django.conf import settings

_client_by_pid: dict[int, object] = {}


# Store a value unless its generation changed since the reader took it (the shared store's guard
# against a reader that read before a writer committed). KEYS[1]: the value's key, KEYS[2]: its
# generation; ARGV: the generation read before the value ("" when there was none), the serialized
# value, its expiry in seconds. Used by tenants.routing_cache and consent.state_cache.
STORE_UNLESS_FORGOTTEN = """
if (redis.call('GET', KEYS[2]) or '') == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
    return 1
end
return 0
"""
logger = logging.getLogger(__name__)

# A healthy cache answers in well under a millisecond; a request must not wait seconds for a dead one.
REDIS_CONNECT_TIMEOUT_SECONDS = 0.25
REDIS_TIMEOUT_SECONDS = 0.5


def shared_redis():
    """This process's client of the cache Redis (a forked worker must not share its parent's sockets)."""
    client = _client_by_pid.get(os.getpid())
    if client is None:
        import redis

        client = redis.Redis.from_url(settings.CACHE_URL, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
                                      socket_timeout=REDIS_TIMEOUT_SECONDS)
        _client_by_pid.clear()
        _client_by_pid[os.getpid()] = client
    return client


class RedisBreaker:
    """While the cache Redis is unreachable, routing and consent read the database instead.

    The first failure opens the breaker: for `retry_seconds` nobody in this process tries Redis
    (so requests do not each wait for a timeout); then one caller tries again, and a success
    closes it. Invalidations that could not reach Redis are kept and sent again, first thing,
    once it answers: a suspension or a withdrawal made during the outage must not leave the
    entry it was forgetting in Redis when Redis comes back with its data.
    """

    retry_seconds = 5.0

    def __init__(self):
        self.open_until = 0.0
        self.pending: list[Callable[[], None]] = []
        self.lock = threading.Lock()

    def allows(self) -> bool:
        if time.monotonic() < self.open_until:
            return False
        if self.pending:
            self._resend_pending()
        return time.monotonic() >= self.open_until

    def is_healthy(self) -> bool:
        """Redis answered last time and every invalidation reached it (local copies may be trusted)."""
        return not self.pending and time.monotonic() >= self.open_until

    def trip(self, error: Exception) -> None:
        if time.monotonic() >= self.open_until:
            # No request data here: the error's class only.
            logger.warning("cache Redis unavailable (%s); reading the database for %.0f s",
                           type(error).__name__, self.retry_seconds)
        self.open_until = time.monotonic() + self.retry_seconds

    def call(self, operation: Callable[[], object], *, on_failure=None):
        """`operation()`, or `on_failure` when Redis is unavailable (now, or known to be)."""
        import redis

        if not self.allows():
            return on_failure
        try:
            return operation()
        except (redis.RedisError, OSError) as error:
            self.trip(error)
            return on_failure

    def invalidate(self, operation: Callable[[], None]) -> None:
        """Run an invalidation now, or as soon as Redis answers again."""
        import redis

        if self.allows():
            try:
                operation()
                return
            except (redis.RedisError, OSError) as error:
                self.trip(error)
        with self.lock:
            self.pending.append(operation)

    def _resend_pending(self) -> None:
        import redis

        with self.lock:
            pending, self.pending = self.pending, []
        for position, operation in enumerate(pending):
            try:
                operation()
            except (redis.RedisError, OSError) as error:
                self.trip(error)
                with self.lock:
                    self.pending[:0] = pending[position:]
                return


redis_breaker = RedisBreaker()


class ProcessCache:
    """Entries keyed by anything hashable; invalidated by string tokens published on one channel.

    `keys_for(token, keys)` names the entries a token drops (default: the entry keyed by the token
    itself); the token "*" drops everything.

    At most `max_entries()` entries are kept (read at each store, so a setting can name it): past
    that the least recently used goes. Expiry alone would not bound it: an expired entry stays
    until it is read again, and a process serving 10,000 enterprises would keep every one it ever
    saw.
    """

    def __init__(self, name: str, *, ttl_seconds: float, max_entries: Callable[[], int],
                 keys_for: Callable[[str, Iterable[Hashable]], Iterable[Hashable]] | None = None):
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.keys_for = keys_for or (lambda token, keys: [token])
        self.entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
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
        # Other processes trust their copies only while subscribed: if Redis is down they are not
        # (their feed broke), and they drop everything when they subscribe again.
        redis_breaker.call(lambda: shared_redis().publish(self.channel(), token))

    def get(self, key):
        if not self.listening.is_set() or not redis_breaker.is_healthy():
            return None
        entry = self.entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        try:
            self.entries.move_to_end(key)
        except KeyError:  # invalidated by another thread since: the value read is still the one to answer
            pass
        return entry[1]

    def put(self, key, value, generation_before_read: int) -> bool:
        """Store `value` unless something was invalidated since `generation_before_read` was taken."""
        with self.lock:
            if self.listening.is_set() and self.generation == generation_before_read and redis_breaker.is_healthy():
                self.entries[key] = (time.monotonic() + self.ttl_seconds, value)
                self.entries.move_to_end(key)
                while len(self.entries) > max(self.max_entries(), 1):
                    self.entries.popitem(last=False)
                return True
        return False
